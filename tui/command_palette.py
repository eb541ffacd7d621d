"""Textual's command palette, guarded where it breaks on a key that arrives too early."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette


class WordLensPalette(CommandPalette):
    """pageup/pagedown before the command list is laid out (keys in one burst: ctrl+p, a letter,
    pagedown) raised KeyError in OptionList._move_page, whose line map is empty until the list has
    an area. Such a page move does nothing; the next one, after layout, moves. A key that arrives
    before the list is even mounted (NoMatches, the key fuzzer's seed 3 under load) does nothing too."""

    def _action_command_list(self, action: str) -> None:
        lists = self.query(CommandList)
        if not lists:
            return
        if action in ("page_up", "page_down") and not lists.first().scrollable_content_region:
            return
        super()._action_command_list(action)

    def _refresh_command_list(self, command_list: CommandList, commands: list, clear_current: bool) -> None:
        """The palette closed while its search was still gathering (the key fuzzer's seed 3: keys typed, then
        the palette gone): its list is no longer there to fill, and Textual's watcher would query it."""
        if not command_list.is_attached or not self.query(CommandList):
            return
        super()._refresh_command_list(command_list, commands, clear_current)
