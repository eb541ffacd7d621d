"""A minimal pair read side by side (core/measures/minimal_pair.py): the shared word's attention row in
each sentence and what each use reads as, on the compare screen (c) and in `wordlens compare`."""

from __future__ import annotations

import numpy as np
import pytest
from textual.widgets import Static

from wordlens.core.analysis import attention_from_word, special_mass_from
from wordlens.core.engine import Engine
from wordlens.core.measures.attention_views import ViewSpec, select_matrix
from wordlens.core.measures.minimal_pair import minimal_pair
from wordlens.core.measures.static_vs_context import contextual_static_neighbours
from wordlens.tui.app import WordLensApp
from wordlens.tui.screens.compare import CompareScreen

from cli_support import never_open_the_explorer, run, run_json  # noqa: F401 (the fixture applies by import)
from tui_support import move_focus_to, seeded_map, shows, wait_for

FIRST, SECOND = "the queen is in the bank", "the bank is in paris"
SPEC = ViewSpec(aggregate="head", layer=1, head=2)


def row_by_loops(analysis, word: int, spec: ViewSpec) -> np.ndarray:
    context = analysis.context
    matrix = select_matrix(context.attentions, spec)
    return attention_from_word(matrix, context.token_word, word, len(analysis.words))


def test_each_row_is_the_words_attention_in_its_own_sentence(tiny_engine, tiny_model, tiny_vectors):
    first, second = tiny_engine.analyze(FIRST), tiny_engine.analyze(SECOND)
    static_map = seeded_map(tiny_model, tiny_vectors, None, False)
    pair = minimal_pair(first, second, "bank", SPEC, static_map, tiny_vectors)
    a, b = pair.sides
    assert (a.word, b.word) == (5, 1) and a.words[a.word] == b.words[b.word] == "bank"
    assert np.allclose(a.attention, row_by_loops(first, 5, SPEC))
    assert np.allclose(b.attention, row_by_loops(second, 1, SPEC))
    matrix = select_matrix(first.context.attentions, SPEC)
    assert a.specials == pytest.approx(float(special_mass_from(first.context, 5, matrix)))
    assert sum(a.attention) + a.specials == pytest.approx(1.0, abs=1e-5)
    # the reading: the word's first piece after spec's layer, through the map
    assert pair.hidden_state == 2
    token = int(second.context.tokens_of(1)[0])
    expected = contextual_static_neighbours(static_map, tiny_vectors, second.context, token, 2, topn=6)
    assert b.reading == tuple(expected)


def test_without_a_map_there_is_no_reading(tiny_engine):
    pair = minimal_pair(tiny_engine.analyze(FIRST), tiny_engine.analyze(SECOND), "bank", SPEC)
    assert pair.map_fit is None and all(side.reading is None for side in pair.sides)


def test_compare_json_adds_the_side_by_side(capsys, vectors_file, tiny_model_dir):
    report = run_json(capsys, "compare", FIRST, SECOND, "--word", "bank", "--layer", "2", "--head", "3",
                      "--vectors", vectors_file, "--model", tiny_model_dir)
    assert "layers" in report and "attention_difference" in report  # the fields before stay
    pair = report["side_by_side"]
    assert (pair["layer"], pair["head"], pair["view"]) == (1, 2, "L2 H3")
    a, b = pair["sentences"]
    assert a["words"][a["word_index"]] == b["words"][b["word_index"]] == "bank"
    assert a["attends_most"]["weight"] == max(w for i, w in enumerate(a["attention"]) if i != a["word_index"])
    assert pair["reading_unavailable"] and a["reading"] is None  # the tiny models have no fitted map


def test_compare_table_lists_both_rows(capsys, vectors_file, tiny_model_dir):
    code, out, err = run(capsys, "compare", FIRST, SECOND, "--word", "bank", "--vectors", vectors_file,
                         "--model", tiny_model_dir)
    assert code == 0, err
    assert "'bank' attends to (L2 mean), A beside B" in out
    assert "A: attends most to" in out and "B: attends most to" in out


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_compare_screen_shows_both_rows_and_readings(tiny_vectors, tiny_model, anyio_backend):
    engine = Engine.from_loaded(tiny_vectors, tiny_model, map_fitter=seeded_map)
    app = WordLensApp(engine, text=FIRST)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, FIRST), what="the analysis")
        await pilot.press("tab", "g")
        await wait_for(pilot, lambda: app.glove_map.static_map is not None, what="the map")
        await move_focus_to(pilot, app, 6)  # [CLS] the queen is in the bank
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), what="compare")
        screen = app.screen
        names = {" ": "space"}
        await pilot.press(*(names.get(character, character) for character in SECOND))
        await wait_for(pilot, lambda: screen.second is not None and screen.second.text == SECOND, what="B")
        await pilot.pause()
        result = str(screen.query_one("#result", Static).render())
        pair = minimal_pair(app.view.analysis, screen.second, "bank", app.view.spec, app.glove_map.static_map,
                            tiny_vectors)
        a, b = pair.sides
        assert f"'bank' attends to, {app.view.spec.short()}" in result
        line = next(line for line in result.splitlines() if line.startswith("queen"))
        # row 1: A's second word (queen) beside B's (bank), each with its weight
        assert line.split()[1] == f"{a.attention[1]:4.2f}"
        assert f" bank           {b.attention[1]:4.2f}" in line
        most = b.strongest()
        assert f"B attends most to {b.words[most]}\u00a0{b.attention[most]:.2f}" in result
        assert f"A {a.reading[0][0]} {a.reading[0][1]:.2f}" in result
