"""The map into static space on a decoder is fitted off the attention-sink position: each word is
read after a line break (the sink takes it), not at position 0, whose hidden state no later token has."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.measures.static_vs_context import SINK_LEAD, fit_static_map, shared_single_token_words


@pytest.fixture
def llama_vectors(tiny_llama):
    from gensim.models import KeyedVectors

    from wordlens.core.vectors.static_vectors import StaticVectors

    words = sorted(token for token in tiny_llama.vocabulary() if token.isascii() and token.isalpha())
    kv = KeyedVectors(vector_size=8)
    kv.add_vectors(words, np.random.default_rng(3).standard_normal((len(words), 8)).astype(np.float32))
    return StaticVectors.from_keyed_vectors(kv, name="llama-words")


def test_a_decoder_map_reads_each_word_after_the_sink_position(tiny_llama, llama_vectors, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    from wordlens.core.measures import static_vs_context

    shared = shared_single_token_words(tiny_llama, llama_vectors, 4000)
    assert len(shared) > 50
    shared = shared * 2  # the tiny vocabulary has fewer than the 100 words a fit asks for: each word twice
    monkeypatch.setattr(static_vs_context, "shared_single_token_words", lambda model, vectors, limit: shared)
    read = []
    original = tiny_llama.hidden_states_batch

    def recording(encodings):
        read.extend(encodings)
        return original(encodings)

    monkeypatch.setattr(tiny_llama, "hidden_states_batch", recording)
    fitted = fit_static_map(tiny_llama, llama_vectors, use_cache=False)
    assert fitted is not None and len(read) == len(shared)
    for word, encoding in zip(shared, read, strict=True):
        assert len(encoding.ids) == 2 and encoding.tokens[1] == word  # the word at position 1
        assert tiny_llama.token_text(encoding.tokens[0]) == SINK_LEAD
