"""The sentence being explored: an editable line, and under it the model's tokens."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from wordlens.tui.view import ViewState


class TokenStrip(Widget):
    """The model's tokens (subword pieces as the tokenizer writes them), the focused one lit.

    Before the model is loaded it shows the sentence's words, which the focus moves over.
    """

    DEFAULT_CSS = "TokenStrip { height: auto; max-height: 4; }"
    view: reactive[ViewState] = reactive(ViewState, layout=True)

    def render(self) -> Text:
        view = self.view
        analysis = view.analysis
        if analysis is None or not analysis.words:
            return Text("tokens appear here as you type", style="dim italic")
        if analysis.context is not None:
            units = list(analysis.context.tokens)
            special = list(analysis.context.special)
            label = "tokens "
        else:
            units = [word.text for word in analysis.words]
            special = [False] * len(units)
            label = "words  "
        text = Text(label, style="dim")
        target_word = view.target_word
        for index, (unit, is_special) in enumerate(zip(units, special)):
            if index == view.focus:
                style = "bold reverse"
            elif is_special:
                style = "dim italic"
            elif analysis.context is not None and index == view.target and target_word is not None:
                style = "underline"
            else:
                style = ""
            text.append(unit, style=style)
            text.append(" ")
        if analysis.context is not None and analysis.context.truncated:
            text.append(f" … cut at {analysis.context.model.max_tokens} tokens, the model's maximum",
                        style="bold yellow")
        return text
