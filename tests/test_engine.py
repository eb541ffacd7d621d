"""The engine: loads each model once, analyses a sentence, caches results, can be cancelled."""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import pytest

from wordlens.core.analysis import AnalysisSettings
from wordlens.core.engine import Engine
from wordlens.core.errors import Cancelled
from wordlens.core.text import split_words

TEXT = "The queen walks her dogs by the river."


def test_analyze_gives_words_static_and_context(tiny_engine, tiny_vectors, tiny_model):
    analysis = tiny_engine.analyze(TEXT)
    assert analysis.text == TEXT and analysis.complete
    assert analysis.words == split_words(TEXT)
    words = [w.text for w in analysis.words]

    static = analysis.static
    assert static.vectors == tiny_vectors.info
    assert [n.word for n in static.neighbours] == words
    assert static.neighbours == tuple(tiny_vectors.neighbours(words, topn=10))
    assert static.restrict_vocab == tiny_vectors.info.size  # default 100,000 > 30 words: all of them
    np.testing.assert_array_equal(static.cosine, tiny_vectors.cosine_matrix(words))

    context = analysis.context
    encoding = tiny_model.encode(TEXT)
    assert context.model == tiny_model.info
    assert context.tokens == encoding.tokens
    assert np.array_equal(context.attentions, tiny_model.run(encoding).attentions)
    assert context.truncated is False
    # every token of a word points back to it; [CLS] and [SEP] to none
    for token, word in enumerate(context.token_word):
        if context.special[token]:
            assert word == -1
        else:
            begin, end = context.offsets[token]
            assert analysis.words[word].start <= begin < end <= analysis.words[word].end


def test_settings_are_applied(tiny_engine, tiny_vectors):
    settings = AnalysisSettings(topn=2, restrict_vocab=12)
    static = tiny_engine.analyze(TEXT, settings).static
    assert static.restrict_vocab == 12
    assert all(len(n.items) <= 2 for n in static.neighbours)
    expected = tiny_vectors.neighbours([w.text for w in split_words(TEXT)], topn=2, restrict_vocab=12)
    assert list(static.neighbours) == expected


def test_cache_returns_the_identical_object(tiny_engine):
    first = tiny_engine.analyze(TEXT)
    assert tiny_engine.analyze(TEXT) is first
    assert tiny_engine.analyze(TEXT, AnalysisSettings()) is first  # equal settings, same entry
    other = tiny_engine.analyze(TEXT, AnalysisSettings(topn=3))
    assert other is not first and all(len(n.items) <= 3 for n in other.static.neighbours)
    assert tiny_engine.analyze(TEXT + " ") is not first


def array_bytes(analysis) -> int:
    """What an analysis holds in numpy arrays (the cache's budget is counted in array bytes), the
    captured queries and keys included."""
    parts = [p for p in (analysis.static, analysis.context) if p is not None]
    arrays = [v for p in parts for v in vars(p).values() if isinstance(v, np.ndarray)]
    captured = analysis.context.captured if analysis.context is not None else None
    return sum(v.nbytes for v in arrays) + (captured.nbytes if captured is not None else 0)


def test_cache_is_bounded_and_least_recently_used(tiny_vectors, tiny_model):
    # one-word sentences: every analysis holds the same amount of arrays
    size = array_bytes(Engine.from_loaded(tiny_vectors, tiny_model).analyze("queen"))
    assert size > 0
    engine = Engine(lambda p: tiny_vectors, lambda p: tiny_model, cache_bytes=2 * size + size // 2)  # room for 2
    engine.load_vectors(), engine.load_model()
    a = engine.analyze("queen")
    b = engine.analyze("dog")
    assert array_bytes(b) == size
    assert engine.analyze("queen") is a  # "queen" becomes the most recently used
    engine.analyze("river")  # evicts "dog", the least recently used
    assert engine.analyze("queen") is a
    assert engine.analyze("dog") is not b


def test_an_analysis_larger_than_the_cache_is_still_kept_until_the_next(tiny_vectors, tiny_model):
    engine = Engine(lambda p: tiny_vectors, lambda p: tiny_model, cache_bytes=0)
    engine.load_vectors(), engine.load_model()
    first = engine.analyze(TEXT)
    assert engine.analyze(TEXT) is first  # the UI asks again for what it just showed
    engine.analyze("something else")
    assert engine.analyze(TEXT) is not first


def test_arrays_are_read_only(tiny_engine):
    analysis = tiny_engine.analyze(TEXT)
    arrays = {
        "cosine": analysis.static.cosine,
        "offsets": analysis.context.offsets,
        "special": analysis.context.special,
        "token_word": analysis.context.token_word,
        "attentions": analysis.context.attentions,
        "hidden_states": analysis.context.hidden_states,
    }
    for name, array in arrays.items():
        assert not array.flags.writeable, name
        with pytest.raises(ValueError):
            array.flat[0] = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        analysis.static = None  # frozen dataclass


def test_engine_without_model_gives_static_only(tiny_vectors, tiny_model):
    engine = Engine(lambda progress: tiny_vectors, lambda progress: tiny_model)
    engine.load_vectors()  # the model is still "loading"
    analysis = engine.analyze(TEXT)
    assert analysis.context is None and not analysis.complete
    assert analysis.static is not None and len(analysis.static.neighbours) == len(analysis.words)
    # once the model is there, the same text is analysed again, not served from the cache
    engine.load_model()
    later = engine.analyze(TEXT)
    assert later is not analysis and later.complete


def test_engine_without_vectors_gives_context_only(tiny_model):
    analysis = Engine.from_loaded(None, tiny_model).analyze(TEXT)
    assert analysis.static is None and analysis.context is not None
    assert analysis.words == split_words(TEXT)


def test_engine_with_nothing_loaded_still_splits_words(tiny_vectors, tiny_model):
    engine = Engine(lambda progress: tiny_vectors, lambda progress: tiny_model)
    analysis = engine.analyze(TEXT)
    assert analysis.static is None and analysis.context is None
    assert [w.text for w in analysis.words][:2] == ["The", "queen"]


def test_empty_text(tiny_engine):
    analysis = tiny_engine.analyze("")
    assert analysis.words == ()
    assert analysis.static.neighbours == () and analysis.static.cosine.shape == (0, 0)
    assert analysis.context.tokens == ("[CLS]", "[SEP]")


def test_out_of_vocabulary_words_do_not_break_an_analysis(tiny_engine):
    analysis = tiny_engine.analyze("queen xyzzy dog")
    assert [n.in_vocab for n in analysis.static.neighbours] == [True, False, True]
    assert np.isnan(analysis.static.cosine[1]).all()
    assert "[UNK]" in analysis.context.tokens


def test_long_text_is_truncated_in_the_analysis(tiny_engine):
    text = " ".join(["the dog"] * 50)
    analysis = tiny_engine.analyze(text)
    assert analysis.context.truncated is True
    assert len(analysis.context.tokens) == analysis.context.model.max_tokens
    assert len(analysis.static.neighbours) == 100  # the static side sees every word


def test_cancel_raises_cancelled(tiny_engine):
    with pytest.raises(Cancelled):
        tiny_engine.analyze("a cancelled sentence", is_cancelled=lambda: True)
    # a cancelled analysis is not cached as if it were done
    analysis = tiny_engine.analyze("a cancelled sentence")
    assert analysis.complete


def test_cancel_before_the_transformer_skips_it(tiny_engine, tiny_model, monkeypatch):
    runs = []
    original_run = tiny_model.run
    monkeypatch.setattr(tiny_model, "run", lambda encoding: runs.append(1) or original_run(encoding))
    with pytest.raises(Cancelled):
        tiny_engine.analyze("stopped after the static part", is_cancelled=lambda: True)
    assert runs == []  # the transformer was not run for a result nobody wants


def test_cancel_at_the_end_is_still_cancelled(tiny_engine):
    answers = iter([False, True])
    with pytest.raises(Cancelled):
        tiny_engine.analyze("stopped at the very end", is_cancelled=lambda: next(answers))


class CountingLoader:
    def __init__(self, value, delay: float = 0.0):
        self.value, self.delay, self.calls = value, delay, 0
        self.progress_seen = []

    def __call__(self, progress):
        self.calls += 1
        self.progress_seen.append(progress)
        time.sleep(self.delay)
        return self.value


def test_loaders_are_called_once(tiny_vectors, tiny_model):
    vectors_loader, model_loader = CountingLoader(tiny_vectors), CountingLoader(tiny_model)
    engine = Engine(vectors_loader, model_loader)
    assert engine.vectors is None and engine.model is None
    assert engine.load_vectors() is tiny_vectors
    assert engine.load_vectors() is tiny_vectors
    assert engine.load_model() is tiny_model
    assert engine.load_model() is tiny_model
    assert (vectors_loader.calls, model_loader.calls) == (1, 1)
    assert engine.vectors is tiny_vectors and engine.model is tiny_model


def test_loaders_are_called_once_under_concurrent_loads(tiny_vectors, tiny_model):
    vectors_loader, model_loader = CountingLoader(tiny_vectors, 0.05), CountingLoader(tiny_model, 0.05)
    engine = Engine(vectors_loader, model_loader)
    threads = [threading.Thread(target=f) for f in [engine.load_vectors, engine.load_model] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (vectors_loader.calls, model_loader.calls) == (1, 1)


def test_loader_receives_the_progress_callback(tiny_vectors):
    loader = CountingLoader(tiny_vectors)
    engine = Engine(loader, CountingLoader(None))

    def progress(stage, fraction):
        pass

    engine.load_vectors(progress)
    assert loader.progress_seen == [progress]


def test_a_failed_load_can_be_retried(tiny_vectors):
    from wordlens.core.errors import LoadError

    attempts = []

    def flaky(progress):
        attempts.append(1)
        if len(attempts) == 1:
            raise LoadError("disk not ready")
        return tiny_vectors

    engine = Engine(flaky, CountingLoader(None))
    with pytest.raises(LoadError):
        engine.load_vectors()
    assert engine.vectors is None
    assert engine.load_vectors() is tiny_vectors


def test_check_sources_fails_fast_on_a_mistyped_path(tmp_path):
    from wordlens.core.engine import Sources, check_sources
    from wordlens.core.errors import LoadError

    with pytest.raises(LoadError, match="not found"):
        check_sources(Sources(vectors=str(tmp_path / "glove.txtt")))
    with pytest.raises(LoadError, match="not found"):
        check_sources(Sources(model=str(tmp_path / "no-such-model")))
    with pytest.raises(LoadError, match="config.json"):
        check_sources(Sources(model=str(tmp_path)))
    check_sources(Sources())  # the bundled defaults: nothing to check


def test_check_sources_applies_allow_pickle(tmp_path):
    from wordlens.core.engine import Sources, check_sources
    from wordlens.core.errors import LoadError

    from conftest import make_tiny_keyed_vectors

    path = tmp_path / "tiny.kv"
    make_tiny_keyed_vectors().save(str(path))
    with pytest.raises(LoadError, match="--allow-pickle"):
        check_sources(Sources(vectors=str(path)))
    check_sources(Sources(vectors=str(path), allow_pickle=True))
