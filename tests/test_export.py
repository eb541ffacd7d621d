"""Saving what is on screen: ctrl+s writes an SVG screenshot, x exports the view (JSON, CSV, NPZ)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from wordlens.core.measures.attention_views import ViewSpec, build_view
from wordlens.core.reports.export import export_view, free_stem, write_export
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.attention import AttentionGrid

from tui_support import notifications, shows, text_input, wait_for

pytestmark = pytest.mark.anyio
SENTENCE = "france is a country, it is in europe"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def analysis(tiny_engine):
    return tiny_engine.analyze(SENTENCE)


def test_the_export_holds_the_matrix_shown_the_tokens_and_the_neighbours(analysis, tmp_path):
    spec = ViewSpec("mean", layer=1, words=True, hide_special=True)
    paths = write_export(export_view(analysis, spec, focus=6, target=1), tmp_path, "view")
    assert [path.name for path in paths] == ["view.json", "view.csv", "view-neighbours.csv", "view.npz"]
    context = analysis.context
    expected = build_view(context.attentions, spec, context.tokens, context.special, context.token_word,
                          [word.text for word in analysis.words])

    report = json.loads((tmp_path / "view.json").read_text(encoding="utf-8"))
    assert report["text"] == SENTENCE
    assert report["tokens"] == list(context.tokens)
    assert report["focus"] == {"token": 6, "text": "it", "label": "it"}
    assert report["target"] == {"token": 1, "text": "france", "label": "france"}
    assert report["view_spec"]["aggregate"] == "mean" and report["view_spec"]["head"] is None
    np.testing.assert_allclose(report["view"], expected.matrix, rtol=1e-6)
    assert report["view_labels"] == list(expected.labels)
    assert [found["word"] for found in report["neighbours"]] == [word.text for word in analysis.words]
    first = analysis.static.neighbours[0]
    assert report["neighbours"][0]["items"][0] == {"word": first.items[0].word, "cosine": first.items[0].cosine}

    rows = list(csv.reader((tmp_path / "view.csv").open(encoding="utf-8")))
    assert rows[0][1:] == list(expected.labels)
    assert [row[0] for row in rows[1:]] == list(expected.labels)
    np.testing.assert_allclose(np.array([row[1:] for row in rows[1:]], dtype=float), expected.matrix, rtol=1e-5)

    neighbours = list(csv.DictReader((tmp_path / "view-neighbours.csv").open(encoding="utf-8")))
    assert neighbours[0] == {"word": first.word, "rank": "1", "neighbour": first.items[0].word,
                             "cosine": f"{first.items[0].cosine:.6g}"}

    with np.load(tmp_path / "view.npz") as arrays:  # no pickle needed: plain string arrays
        np.testing.assert_array_equal(arrays["view"], expected.matrix)
        np.testing.assert_array_equal(arrays["attentions"], context.attentions)
        assert list(arrays["view_labels"]) == list(expected.labels)
        assert list(arrays["tokens"]) == list(context.tokens)
        assert arrays["neighbour_words"][0, 0] == first.items[0].word


def test_out_of_vocabulary_cosines_are_null_in_json(tiny_engine, tmp_path):
    analysis = tiny_engine.analyze("france zzzz")
    write_export(export_view(analysis, ViewSpec()), tmp_path, "oov")
    report = json.loads((tmp_path / "oov.json").read_text(encoding="utf-8"))
    assert report["static_cosine"][0][1] is None
    assert report["neighbours"][1]["in_vocab"] is False


def test_a_new_stem_never_overwrites_an_earlier_export(tmp_path):
    first = free_stem(tmp_path)
    (tmp_path / f"{first}.json").write_text("{}")
    assert free_stem(tmp_path) != first


async def test_x_exports_the_view_and_names_the_files(tiny_engine, tmp_path):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    app.output_folder = tmp_path
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("x")  # typed into the sentence line, not an export
        assert not list(tmp_path.iterdir())
        await pilot.press("backspace", "tab", "right_square_bracket", "x")
        assert isinstance(app.focused, AttentionGrid)
        await wait_for(pilot, lambda: len(list(tmp_path.iterdir())) == 4 and "exported" in notifications(app),
                       what="the exported files")
        files = sorted(path.name for path in tmp_path.iterdir())
        assert len(files) == 4 and {name.rsplit(".", 1)[1] for name in files} == {"json", "csv", "npz"}
        assert all(name in notifications(app) for name in files)
        report = json.loads(next(tmp_path.glob("*.json")).read_text(encoding="utf-8"))
        assert report["view_spec"]["layer"] == 1 and report["text"] == SENTENCE


async def test_ctrl_s_saves_a_screenshot_even_while_typing(tiny_engine, tmp_path):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    app.output_folder = tmp_path
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        assert text_input(app).has_focus
        await pilot.press("ctrl+s")
        [svg] = list(tmp_path.glob("*.svg"))
        assert svg.read_text(encoding="utf-8").startswith("<svg")
        assert text_input(app).value == SENTENCE
        assert svg.name in notifications(app)


async def test_export_reports_a_folder_it_cannot_write(tiny_engine, tmp_path):
    app = WordLensApp(tiny_engine, text=SENTENCE)
    app.output_folder = tmp_path / "missing"
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("tab", "x")
        await wait_for(pilot, lambda: "cannot write the export" in notifications(app), what="the error")
        assert app.is_running
