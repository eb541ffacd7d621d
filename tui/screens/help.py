"""The help screen: every key, grouped by what it acts on."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from wordlens.tui.screens.dialog import Dialog

KEYS = (
    ("Sentence", (
        ("type", "edit the sentence; every pane follows as you type"),
        ("tab / enter / esc", "leave the sentence to explore (the attention grid takes the keys)"),
        ("e  or  /", "back to editing the sentence"),
    )),
    ("Explore", (
        ("↑ ↓  or  k j", "focus the previous / next token (the grid's row)"),
        ("← →  h l  home end", "move the target token (the grid's column); its weight is shown"),
        ("[ ]   , .", "previous / next layer   ·   previous / next head"),
        ("b", "best head: the layer and head where the focused word attends most to the target"),
        ("tab / shift+tab", "move between panes (scroll the neighbours with ↑ ↓)"),
    )),
    ("Attention views", (
        ("a", "cycle the view: head → mean of the layer's heads → max → rollout to the layer"),
        ("w", "merge word pieces into words"),
        ("s", "hide [CLS]/[SEP] (rows renormalised)"),
        ("d", "dense: half-block cells, two rows per line"),
        ("space", "add the focused row to the rows whose attention is summed"),
        ("o", "overview: every layer × head as thumbnails"),
        ("m", "per-head metrics, sortable (entropy, distance, mass on specials...)"),
        ("r", "referents: every head ranked by focused → target weight"),
        ("n   z   Z", "why this weight (query · key → softmax) · this head off/on · all on"),
    )),
    ("Static vs contextual", (
        (":", "static queries: sim queen woman dog · man:king::woman:? · odd … · near …"),
        ("c", "compare: the focused word in a second sentence, layer by layer"),
        ("t", "static cosine vs attention: per head rank correlation, sortable"),
        ("g  ·  p", "fit the map into static space (cached) · p: a map of both spaces"),
        ("F", "hide function words and punctuation from the static cosines in the sentence"),
    )),
    ("App", (
        ("?  or  f1", "this help"),
        ("ctrl+p", "command palette: every action, with its key"),
        ("ctrl+o", "open other static vectors or another transformer (the current ones stay if it fails)"),
        ("ctrl+s", "save an SVG screenshot of the screen"),
        ("x", "export the view (tokens, matrix, neighbours) to JSON, CSV and NPZ"),
        ("q  or  ctrl+q", "quit (q only outside the sentence)"),
    )),
    ("Decoders", (
        ("f", "logit lens (--model smollm2): the focused token's next tokens read out of every layer"),
    )),
    ("Corpus", (
        ("u", "uses: the focused token's nearest uses in a corpus at this layer (index built once, cached)"),
    )),
    ("Lesson", (
        ("L", "a guided walk: how a static embedding differs from self-attention (n / p to move, esc to leave)"),
    )),
)


def keys_table() -> Table:
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for group, rows in KEYS:
        table.add_row(f"[bold underline]{group}[/]", "")
        for keys, meaning in rows:
            table.add_row(keys, meaning)
    return table


class HelpScreen(Dialog[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "close help"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 100; max-width: 90%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    HelpScreen Static { width: 100%; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll() as container:
            container.border_title = "wordlens keys"
            container.border_subtitle = "esc to close"
            yield Static(keys_table())
