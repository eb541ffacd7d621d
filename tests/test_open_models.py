"""Opening other models while exploring (ctrl+o): what loads replaces the old model, what does not
load is named and leaves the explorer with the models it had.

The engine is tested directly, then the app through Pilot, on the tiny models and on small files
written here (another word2vec file, a 3-layer BERT, broken folders).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from wordlens.core.engine import Engine, Sources
from wordlens.core.errors import LoadError
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.model_bar import ModelBar
from wordlens.tui.screens.open_models import OpenScreen

from conftest import TINY_DIM, tiny_bert_config, write_tiny_tokenizer
from tui_support import notice_naming, shows, text_input, wait_for

pytestmark = pytest.mark.anyio
SIZE = (120, 36)
OTHER_WORDS = ["queen", "woman", "dog", "king", "france", "europe", "country", "river"]


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def other_vectors_file(tmp_path_factory) -> Path:
    """Vectors other than the tiny ones, as word2vec text."""
    from gensim.models import KeyedVectors

    keyed_vectors = KeyedVectors(vector_size=TINY_DIM)
    keyed_vectors.add_vectors(OTHER_WORDS, np.random.default_rng(3).normal(size=(len(OTHER_WORDS), TINY_DIM)))
    path = tmp_path_factory.mktemp("other-vectors") / "other.txt"
    keyed_vectors.save_word2vec_format(str(path), binary=False)
    return path


@pytest.fixture(scope="module")
def three_layer_model_dir(tmp_path_factory) -> Path:
    import transformers

    folder = tmp_path_factory.mktemp("three-layer-bert")
    write_tiny_tokenizer(folder)
    config = tiny_bert_config()
    config.num_hidden_layers = 3
    transformers.BertModel(config).eval().save_pretrained(str(folder))
    return folder


@pytest.fixture
def broken_sources(tmp_path, tiny_model_dir) -> dict[str, list[Path]]:
    """Paths that must not load, each for its own reason."""
    empty_file = tmp_path / "empty.txt"
    empty_file.write_text("")
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 8)
    empty_folder = tmp_path / "empty-folder"
    empty_folder.mkdir()
    corrupt = tmp_path / "corrupt"
    shutil.copytree(tiny_model_dir, corrupt)
    weights = corrupt / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    return {
        "vectors": [tmp_path / "missing.bin", empty_file, garbage, empty_folder],
        "model": [tmp_path / "missing-model", empty_folder, corrupt, empty_file],
    }


@pytest.fixture
def engine(tiny_vectors, tiny_model) -> Engine:
    return Engine.from_loaded(tiny_vectors, tiny_model, sources=Sources(device="cpu"))


# ---- the engine ---------------------------------------------------------------------------


def test_vectors_that_do_not_load_leave_the_engine_as_it_was(engine, tiny_vectors, broken_sources):
    before = engine.analyze("the queen")
    for path in broken_sources["vectors"]:
        with pytest.raises(LoadError):
            engine.open_vectors(str(path))
        assert engine.vectors is tiny_vectors
        assert engine.sources.vectors is None
    assert engine.analyze("the queen") is before  # nothing was forgotten either


def test_opened_vectors_replace_the_old_and_what_was_computed_with_them(engine, other_vectors_file):
    from gensim.models import KeyedVectors

    before = engine.analyze("the queen")
    engine.open_vectors(str(other_vectors_file))
    after = engine.analyze("the queen")
    assert engine.sources.vectors == str(other_vectors_file)
    assert after.static.vectors.name == "other.txt" and before.static.vectors.name == "tiny"
    reference = KeyedVectors.load_word2vec_format(str(other_vectors_file))
    assert [item.word for item in after.static.neighbours[1].items] == \
        [word for word, _ in reference.most_similar("queen", topn=len(after.static.neighbours[1].items))]


def test_a_model_that_does_not_load_leaves_the_engine_as_it_was(engine, tiny_model, broken_sources):
    for path in broken_sources["model"]:
        with pytest.raises(LoadError):
            engine.open_model(str(path))
        assert engine.model is tiny_model
    assert engine.analyze("the queen").context.attentions.shape[0] == tiny_model.info.layers


def test_an_opened_model_replaces_the_old(engine, three_layer_model_dir):
    engine.analyze("the queen")
    engine.open_model(str(three_layer_model_dir))
    assert engine.model.info.layers == 3
    assert engine.analyze("the queen").context.attentions.shape[:2] == (3, engine.model.info.heads)


# ---- the app --------------------------------------------------------------------------------


async def open_from_dialog(pilot, app, component: str, source: str) -> None:
    await pilot.press("ctrl+o")
    await wait_for(pilot, lambda: isinstance(app.screen, OpenScreen), what="the open dialog")
    if component == "model":
        await pilot.press("tab")
    line = app.screen.focused
    assert line.id == component, f"the {component} line should have the focus, not {line!r}"
    line.value = source
    await pilot.press("enter")


async def start(pilot, app, text: str) -> None:
    await wait_for(pilot, lambda: shows(app, text), what=f"the analysis of {text!r}")


def header(app) -> str:
    return app.query_one(ModelBar).render().plain


async def test_vectors_that_do_not_load_are_named_and_the_old_ones_stay(engine, broken_sources):
    app = WordLensApp(engine, text="the queen")
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, "the queen")
        for path in broken_sources["vectors"]:
            await open_from_dialog(pilot, app, "vectors", str(path))
            await wait_for(pilot, lambda path=path: notice_naming(app, path.name), what=f"the error about {path.name}")
            assert "still using tiny" in notice_naming(app, path.name)
            assert header(app).startswith(" wordlens  tiny, 30 words")
        text_input(app).value = "the queen walks"
        await start(pilot, app, "the queen walks")
        assert app.view.analysis.static.vectors.name == "tiny"


async def test_opened_vectors_fill_the_panes(engine, other_vectors_file):
    app = WordLensApp(engine, text="the queen")
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, "the queen")
        await open_from_dialog(pilot, app, "vectors", str(other_vectors_file))
        await wait_for(pilot, lambda: app.view.analysis.static.vectors.name == "other.txt", what="the new vectors")
        assert "other.txt, 8 words" in header(app) and "(opening" not in header(app)
        assert shows(app, "the queen")


async def test_a_model_that_does_not_load_is_named_and_the_old_one_stays(engine, tiny_model, broken_sources):
    app = WordLensApp(engine, text="the queen")
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, "the queen")
        for path in broken_sources["model"]:
            await open_from_dialog(pilot, app, "model", str(path))
            await wait_for(pilot, lambda path=path: notice_naming(app, path.name), what=f"the error about {path.name}")
            assert "could not open" in notice_naming(app, path.name)
            app.clear_notifications()
        assert engine.model is tiny_model
        await pilot.press("escape", "right_square_bracket")
        assert app.view.layer == 1  # the two layers of the tiny model are still there to explore


async def test_an_opened_model_is_explored_with_its_own_layers(engine, three_layer_model_dir):
    app = WordLensApp(engine, text="the queen")
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, "the queen")
        await open_from_dialog(pilot, app, "model", str(three_layer_model_dir))
        await wait_for(pilot, lambda: app.view.analysis.context.model.layers == 3, what="the 3-layer model's analysis")
        assert "3 layers" in header(app)
        await pilot.press("escape", *["right_square_bracket"] * 2)
        assert app.view.layer == 2


async def test_escape_closes_the_dialog_without_opening_anything(engine, tiny_vectors):
    app = WordLensApp(engine, text="the queen")
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, "the queen")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, OpenScreen), what="the open dialog")
        await pilot.press("x", "escape")
        assert not isinstance(app.screen, OpenScreen)
        assert engine.vectors is tiny_vectors and "opening" not in header(app)


async def test_ctrl_o_opens_smollm2_by_name(engine, tmp_path, monkeypatch):
    """The name goes through the real conversion and cache code; the GGUF reading (~30 s on the real
    file) is replaced by the tiny random Llama."""
    import transformers

    from wordlens.core.transformer import gguf_cache

    from conftest import LLAMA_CORPUS, build_tiny_llama, write_byte_level_tokenizer

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    gguf = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    gguf.write_bytes(b"GGUF")
    write_byte_level_tokenizer(tmp_path / "tokenizer", LLAMA_CORPUS)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tmp_path / "tokenizer"))
    monkeypatch.setattr(gguf_cache, "smollm2_gguf_file", lambda: gguf)
    monkeypatch.setattr(gguf_cache, "read_gguf", lambda path: (tokenizer, build_tiny_llama(len(tokenizer))))
    app = WordLensApp(engine, text="the queen")
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, "the queen")
        await open_from_dialog(pilot, app, "model", "smollm2")
        await wait_for(pilot, lambda: app.view.analysis.context.model.name == "SmolLM2-135M-Instruct",
                       timeout=30, what="SmolLM2's analysis")
        assert app.view.analysis.context.model.causal
        assert "SmolLM2-135M-Instruct" in header(app)
