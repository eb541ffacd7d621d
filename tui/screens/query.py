"""The query line (`:`): similarity, analogy, odd-one-out and neighbour queries on the static vectors."""

from __future__ import annotations

from threading import Thread

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from wordlens.core.engine import Engine
from wordlens.core.errors import WordlensError
from wordlens.core.vectors.query_line import USAGE, QueryAnswer, answer_query
from wordlens.tui.panes.line_fitting import wrapped
from wordlens.tui.panes.sentence_input import OrderedInput
from wordlens.tui.screens.dialog import Dialog
from wordlens.tui.style.colors import bar

EXAMPLES = ("sim queen woman dog", "man:king::woman:?", "odd breakfast lunch dinner cat", "near france")


def answer_text(answer: QueryAnswer, width: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(answer.title + "\n", style="bold")
    word_column = max([len(item.word) for item in answer.items] + [8]) + 2
    bar_width = max(4, min(30, width - word_column - 12))
    for item in answer.items:
        is_answer = item.word == answer.highlight
        text.append(
            f"{'▶' if is_answer else ' '} {item.word:<{word_column}}", style="bold reverse" if is_answer else ""
        )
        text.append(f"{item.score:6.3f} ", style="bold")
        text.append(bar(max(0.0, item.score), bar_width) + "\n", style="green")
    if answer.unknown:
        text.append_text(wrapped(Text(answer.unknown, style="yellow"), width))
        text.append("\n")
    if answer.explanation:
        text.append_text(wrapped(Text(answer.explanation, style="dim italic"), width))
    return text


class QueryScreen(Dialog[None]):
    """Type a query, enter answers it; ↑ ↓ recall earlier queries; esc goes back."""

    BINDINGS = [
        Binding("escape", "dismiss", "close"),
        Binding("up", "recall(-1)", "earlier query", show=False),
        Binding("down", "recall(1)", "later query", show=False),
    ]
    DEFAULT_CSS = """
    QueryScreen { align: center top; }
    QueryScreen > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 90%; margin-top: 2;
        border: round $accent; background: $surface; padding: 0 1;
    }
    QueryScreen Input { margin-bottom: 1; }
    QueryScreen #answer { height: auto; text-wrap: nowrap; }
    """
    def __init__(self, engine: Engine, history: list[str], initial: str = "") -> None:
        super().__init__()
        self.engine = engine
        self.history = history  # the App's: earlier queries survive closing the screen
        self._initial = initial
        self._recalled = len(self.history)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "static query"
            box.border_subtitle = "enter: answer · ↑ ↓: earlier queries · esc: back"
            yield OrderedInput(value=self._initial, placeholder=USAGE, id="query")
            yield Static(self._examples(), id="answer")

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()
        # Analogies and the odd one out are answered by gensim: import it (about a second) while
        # the query is typed, not after enter.
        vectors = self.engine.vectors
        if vectors is not None:
            Thread(target=lambda: vectors.keyed_vectors, name="gensim for queries", daemon=True).start()

    @staticmethod
    def _examples() -> Text:
        text = Text("Ask the static vectors, for example:\n", style="dim")
        for example in EXAMPLES:
            text.append(f"  {example}\n", style="cyan")
        for form in USAGE.split("  ·  "):  # one form a line: none is cut in a narrow box
            text.append(f"\n{form}", style="dim")
        return text

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value.strip()
        if not line:
            return
        if not self.history or self.history[-1] != line:
            self.history.append(line)
        self._recalled = len(self.history)
        self.query_one("#answer", Static).update(self._answer(line))

    def _answer(self, line: str) -> Text:
        vectors = self.engine.vectors
        if vectors is None:
            return Text("The static vectors are still loading: try again in a moment.", style="yellow")
        try:
            answer = answer_query(line, vectors)
        except WordlensError as error:
            return wrapped(Text(str(error), style="red"), self._answer_width())
        return answer_text(answer, self._answer_width())

    def _answer_width(self) -> int:
        """The answer's width: the box's, once it is laid out."""
        answer = self.query_one("#answer", Static)
        return answer.size.width or max(20, min(96, int(self.size.width * 0.9) - 4))

    def action_recall(self, step: int) -> None:
        if not self.history:
            return
        self._recalled = max(0, min(len(self.history), self._recalled + step))
        line = self.history[self._recalled] if self._recalled < len(self.history) else ""
        query = self.query_one("#query", Input)
        query.value = line
        query.cursor_position = len(line)
