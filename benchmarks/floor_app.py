"""The floor of first paint: a minimal Textual app showing one line (benchmarks/startup.py runs it
in the same tmux harness as wordlens, interleaved). Nothing else is imported; ctrl+q quits."""

from textual.app import App, ComposeResult
from textual.widgets import Static

LINE = "wordlens floor: one line"


class OneLine(App):
    def compose(self) -> ComposeResult:
        yield Static(LINE)


if __name__ == "__main__":
    OneLine().run()
