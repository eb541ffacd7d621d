"""Function words out of the in-sentence static cosines (core/function_words.py): F in the explorer, and
`wordlens cosines --hide-function-words`. In GloVe 50d every function word sits at 0.8-0.9 to nearly
everything, so `bank`'s statically nearest word in "I sat on the river bank" is `on`."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.function_words import FUNCTION_WORDS, is_function_word
from wordlens.core.reports.json_shapes import sentence_cosines_report
from wordlens.tui.app import WordLensApp
from wordlens.tui.keys import app_actions
from wordlens.tui.panes.word_comparison import WordComparison
from wordlens.tui.screens.help import keys_table

from cli_support import never_open_the_explorer, run, run_json  # noqa: F401 (the fixture applies by import)
from tui_support import move_focus_to, shows, wait_for

SENTENCE = "the queen is in the bank ."


def test_the_list_holds_closed_classes_and_glove_clitics_not_content_words():
    for word in ("the", "on", "is", "did", "n't", "'s", "ca", "The", ",", "."):
        assert is_function_word(word), word
    for word in ("bank", "river", "queen", "France", "3"):
        assert not is_function_word(word), word
    assert all(word == word.lower() for word in FUNCTION_WORDS)  # looked up lowercased


def test_the_report_hides_their_cosines_and_the_nearest_skips_them(tiny_engine):
    analysis = tiny_engine.analyze(SENTENCE)
    shown, hidden = sentence_cosines_report(analysis), sentence_cosines_report(analysis, hide_function_words=True)
    bank = [word["word"] for word in shown["words"]].index("bank")
    assert hidden["function_words"]["hidden_words"] == ["the", "is", "in", "the", "."]
    for column, word in enumerate(hidden["words"]):
        if word["function_word"]:
            assert hidden["cosine"][bank][column] is None
        else:
            assert hidden["cosine"][bank][column] == shown["cosine"][bank][column]
    nearest = hidden["words"][bank]["nearest_in_sentence"]
    assert nearest["word"] == "queen"  # the only content word left
    expected = float(analysis.static.cosine[bank, nearest["index"]])
    assert nearest["cosine"] == pytest.approx(expected)


def test_the_command_line_flag(capsys, vectors_file):
    report = run_json(capsys, "cosines", SENTENCE, "--hide-function-words", "--vectors", vectors_file)
    assert report["function_words"]["hidden"] is True
    code, out, err = run(capsys, "cosines", SENTENCE, "--word", "bank", "--hide-function-words",
                         "--vectors", vectors_file)
    assert code == 0, err
    assert "function words and punctuation hidden" in " ".join(out.split())


def test_f_is_listed_in_the_help_and_the_palette(tiny_engine):
    from rich.console import Console

    console = Console(width=120, record=True)
    console.print(keys_table())
    assert "hide function words" in console.export_text()
    assert any(identity == "toggle_hide_function_words" and keys == "F"
               for identity, _, _, keys in app_actions(WordLensApp(tiny_engine)))


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_f_hides_them_from_the_comparison_pane_and_says_so(tiny_engine, anyio_backend):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("tab")
        await move_focus_to(pilot, app, 6)  # [CLS] the queen is in the bank
        analysis = app.view.analysis
        cosines = analysis.static.cosine[5]
        every = max((w for w in range(len(analysis.words)) if w != 5), key=lambda w: cosines[w])
        pane = app.query_one(WordComparison)

        def shown() -> str:  # the pane's lines wrap: compared word by word
            return " ".join(pane.render().plain.split())

        assert f"static nearest in sentence: {analysis.words[every].text} {cosines[every]:.2f}" in shown()
        await pilot.press("F")
        await wait_for(pilot, lambda: "static cosines hidden" in shown(), what="the note")
        assert f"static nearest in sentence: queen {cosines[1]:.2f}" in shown()
        assert app.view.hide_function_words
        await pilot.press("F")
        await wait_for(pilot, lambda: "static cosines hidden" not in shown(), what="shown again")
        assert np.isfinite(cosines).all()
