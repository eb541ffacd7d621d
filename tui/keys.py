"""The app's key bindings as named, remappable actions, and a command palette listing them all.

Every App-level binding gets an id derived from its action (`export`, `layer_next`,
`toggle_words`...): the names `[keys]` in config.toml remaps and the palette shows.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from textual.actions import parse
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

LAYER_KEYS = Binding.Group("layer")
HEAD_KEYS = Binding.Group("head")

APP_BINDINGS = [
    Binding("tab", "cycle_focus(1)", "next pane", priority=True),
    Binding("ctrl+q", "quit", "quit", priority=True),
    Binding("f1", "help", "help", priority=True),
    Binding("shift+tab", "cycle_focus(-1)", "previous pane", show=False, priority=True),
    Binding("escape", "screen.explore", "explore", show=False),
    Binding("e,slash", "screen.edit", "edit", show=False),
    Binding("left_square_bracket", "screen.layer(-1)", "layer-", key_display="[", group=LAYER_KEYS),
    Binding("right_square_bracket", "screen.layer(1)", "layer+", key_display="]", group=LAYER_KEYS),
    Binding("comma", "screen.head(-1)", "head-", key_display=",", group=HEAD_KEYS),
    Binding("full_stop", "screen.head(1)", "head+", key_display=".", group=HEAD_KEYS),
    Binding("b", "screen.best_head", "best head"),
    Binding("a", "screen.cycle_aggregate", "view"),
    Binding("w", "screen.toggle('words')", "words", show=False),
    Binding("s", "screen.toggle('hide_special')", "specials", show=False),
    Binding("d", "screen.toggle('dense')", "dense", show=False),
    Binding("o", "screen.overview", "overview", show=False),
    Binding("m", "screen.metrics", "metrics", show=False),
    Binding("r", "screen.referents", "referents", show=False),
    Binding("colon", "screen.query", "query", key_display=":"),
    Binding("c", "screen.compare", "compare"),
    Binding("t", "screen.correlation", "static~attn", show=False),
    Binding("g", "fit_map", "in GloVe terms", show=False),
    Binding("f", "screen.logit_lens", "logit lens (what follows)", show=False),
    Binding("p", "screen.map", "map", show=False),
    Binding("ctrl+o", "open_models", "open models", show=False),
    Binding("ctrl+s", "save_screen", "save screenshot", show=False, priority=True),
    Binding("x", "screen.export", "export", show=False),
    Binding("n", "screen.mechanism", "why this weight", show=False),
    Binding("z", "screen.head_off", "switch head off/on", show=False),
    Binding("Z", "screen.heads_on", "restore all heads", show=False),
    Binding("question_mark", "help", "help", key_display="?", show=False),
    Binding("q", "quit", "quit", show=False),
    Binding("u", "screen.toggle_uses", "uses in a corpus", show=False),
    Binding("L", "screen.lesson", "lesson: embedding vs self-attention", show=False),
    Binding("F", "screen.toggle('hide_function_words')", "function words in static cosines", show=False),
]
# Keys the sentence line types instead of acting on: hidden from the footer while typing.
EXPLORE_ONLY_ACTIONS = frozenset({
    "edit", "layer", "head", "best_head", "cycle_aggregate", "toggle", "overview", "metrics", "referents",
    "query", "compare", "correlation", "fit_map", "export", "mechanism", "head_off", "heads_on", "logit_lens", "map",
    "toggle_uses", "lesson",
})


def binding_id(action: str) -> str:
    """`layer(1)` -> layer_next, `layer(-1)` -> layer_previous, `toggle('words')` -> toggle_words."""
    _, name, parameters = parse(action)
    words = [name]
    for parameter in parameters:
        if parameter == 1:
            words.append("next")
        elif parameter == -1:
            words.append("previous")
        else:
            words.append(str(parameter))
    return "_".join(words)


def with_binding_ids(app_class):
    """Class decorator: give every binding of `app_class.BINDINGS` without an id its action's id."""
    app_class.BINDINGS = [
        binding if not isinstance(binding, Binding) or binding.id else replace(binding, id=binding_id(binding.action))
        for binding in app_class.BINDINGS
    ]
    app_class._merged_bindings = app_class._merge_bindings()
    return app_class


def app_actions(app) -> list[tuple[str, str, str, str]]:
    """(id, action, description, keys now bound) for each App binding, in BINDINGS order, once each."""
    keys: dict[str, list[str]] = {}
    first: dict[str, Binding] = {}
    bindings_map = app._bindings.copy()
    bindings_map.apply_keymap(app._keymap)  # what Textual does for the keys' dispatch
    for bindings in bindings_map.key_to_bindings.values():
        for binding in bindings:
            if binding.id is None:
                continue
            first.setdefault(binding.id, binding)
            keys.setdefault(binding.id, []).append(app.get_key_display(binding))
    order = [binding_id(binding.action) for binding in type(app).BINDINGS if isinstance(binding, Binding)]
    order = list(dict.fromkeys(identity for identity in order if identity in first))
    # The explorer's actions are bound as `screen.NAME`: listed by their own name.
    return [(identity, first[identity].action.removeprefix("screen."), first[identity].description or identity,
             " ".join(keys[identity])) for identity in order]


class ActionCommands(Provider):
    """Every action of the app in the command palette (ctrl+p), with its keys and config id."""

    def _commands(self):
        for identity, action, description, keys in app_actions(self.app):
            title = f"{description}  ({keys})" if keys else description
            # The explorer's actions run on the explorer screen, not on the palette's own screen.
            explorer = self.app.explorer
            on = explorer if hasattr(explorer, f"action_{parse(action)[1]}") else None
            run = partial(self.app.run_action, action, on)
            yield title, run, f"key {keys or '-'} · config.toml keys id: {identity}"

    async def discover(self) -> Hits:
        for title, run, help_text in self._commands():
            yield DiscoveryHit(title, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, run, help_text in self._commands():
            score = max(matcher.match(title), matcher.match(help_text.replace("_", " ")) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(title), run, help=help_text)
