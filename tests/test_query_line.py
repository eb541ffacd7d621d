"""The query line answers the same as gensim and the CLI, and says clearly what it cannot answer."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.errors import InputError
from wordlens.core.vectors.query_line import answer_query


def test_sim_lists_the_first_words_cosine_to_each_other_word_nearest_first(tiny_vectors, tiny_keyed_vectors):
    answer = answer_query("sim queen dog woman", tiny_vectors)
    expected = sorted(
        [
            ("woman", tiny_keyed_vectors.similarity("queen", "woman")),
            ("dog", tiny_keyed_vectors.similarity("queen", "dog")),
        ],
        key=lambda pair: -pair[1],
    )
    assert [(item.word, round(item.score, 5)) for item in answer.items] == [
        (w, round(float(s), 5)) for w, s in expected
    ]
    assert answer.items[0].word == "woman"  # the promise, on the tiny table too


@pytest.mark.parametrize("line", ["man:king::woman:?", "man : king :: woman : ?", "analogy man king woman"])
def test_analogy_forms_all_give_gensims_3cosadd_with_the_query_words_excluded(line, tiny_vectors, tiny_keyed_vectors):
    answer = answer_query(line, tiny_vectors, topn=5)
    expected = tiny_keyed_vectors.most_similar(positive=["king", "woman"], negative=["man"], topn=5)
    assert [item.word for item in answer.items] == [word for word, _ in expected]
    assert not {"man", "king", "woman"} & {item.word for item in answer.items}
    assert answer.highlight == expected[0][0]
    assert "3CosAdd" in answer.title


def test_analogy_mul_uses_3cosmul(tiny_vectors, tiny_keyed_vectors):
    for line in ("man:king::woman:? mul", "analogy man king woman mul"):
        answer = answer_query(line, tiny_vectors, topn=5)
        expected = tiny_keyed_vectors.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=5)
        assert [item.word for item in answer.items] == [word for word, _ in expected]
        assert "3CosMul" in answer.title


def test_odd_one_out_highlights_gensims_answer_and_ranks_it_lowest(tiny_vectors, tiny_keyed_vectors):
    words = ["queen", "woman", "king", "river"]
    answer = answer_query("odd " + " ".join(words), tiny_vectors)
    assert answer.highlight == tiny_keyed_vectors.doesnt_match(words) == "river"
    assert answer.items[0].word == "river"
    assert [item.score for item in answer.items] == sorted(item.score for item in answer.items)


def test_near_gives_the_neighbour_list(tiny_vectors):
    answer = answer_query("near river", tiny_vectors, topn=3)
    assert [item.word for item in answer.items] == ["stream", "lake", "sea"]
    assert np.isclose(answer.items[0].score, np.cos(np.radians(10)))


def test_sim_answers_for_the_known_words_and_names_the_unknown_one(tiny_vectors):
    answer = answer_query("sim queen xyzzyq woman", tiny_vectors)
    assert [item.word for item in answer.items] == ["woman"]
    assert answer.items[0].score == pytest.approx(tiny_vectors.similarity("queen", "woman"))
    assert "'xyzzyq'" in answer.unknown and "not in the vocabulary" in answer.unknown


@pytest.mark.parametrize(
    "line, says",
    [
        ("sim queen zzzq", "zzzq"),
        ("sim zzzq queen woman", "zzzq"),
        ("man:zzzq::woman:?", "zzzq"),
        ("odd queen woman zzzq", "zzzq"),
        ("near zzzq", "zzzq"),
        ("frobnicate queen", "unknown query 'frobnicate'"),
        ("sim queen", "at least two words"),
        ("analogy man king", "three words"),
        ("odd queen woman", "at least three"),
        ("near queen king", "one word"),
        ("   ", "type a query"),
    ],
)
def test_what_cannot_be_answered_is_named(line, says, tiny_vectors):
    with pytest.raises(InputError, match=says):
        answer_query(line, tiny_vectors)


@pytest.mark.real_models
def test_the_classic_queries_on_glove(bundled_engine):
    vectors = bundled_engine.vectors
    assert answer_query("man:king::woman:?", vectors).highlight == "queen"
    similarity = {item.word: item.score for item in answer_query("sim queen woman dog", vectors).items}
    assert similarity["woman"] > similarity["dog"]
    assert answer_query("odd breakfast lunch dinner car", vectors).highlight == "car"
