"""The static-query and compare subcommands: similarity, analogy, odd-one-out, evaluate, compare.

`main([...])` runs in-process with --vectors on the tiny vectors saved to a file (and --model on
the tiny BERT for compare); the answers are gensim's own, read from the same file apart from
wordlens. The bundled GloVe and all-MiniLM-L6-v2 run under `real_models`.
"""

from __future__ import annotations

import contextlib
import io
import json
import time

import numpy as np
import pytest

from wordlens.tui.cli.main import main

from cli_support import assert_one_line_error, never_open_the_explorer, run, run_json  # noqa: F401 (the fixture applies by import)
from conftest import TINY_HEADS, TINY_LAYERS

# gensim's own most_similar_cosmul calls its deprecated init_sims: not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")

# ---------------------------------------------------------------------------------------------
# Fixtures and helpers (as in test_cli.py)
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# similarity
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [("queen", "woman"), ("queen", "dog"), ("river", "sea"), ("Apple", "apple"),
                                  ("東京", ","), ("café", "naïve")])
def test_similarity_json_equals_gensim(capsys, vectors_file, reference_kv, a, b):
    report = run_json(capsys, "similarity", a, b, "--vectors", vectors_file)
    assert {"a", "b", "cosine"} <= set(report)
    assert (report["a"], report["b"]) == (a, b)
    assert isinstance(report["cosine"], float)
    assert report["cosine"] == pytest.approx(float(reference_kv.similarity(a, b)), abs=1e-6)


def test_similarity_of_capitalised_words_uses_the_lowercase_entries(capsys, vectors_file, reference_kv):
    report = run_json(capsys, "similarity", "Queen", "WOMAN", "--vectors", vectors_file)
    assert (report["a"], report["b"]) == ("Queen", "WOMAN")  # as typed
    assert report["cosine"] == pytest.approx(float(reference_kv.similarity("queen", "woman")), abs=1e-6)


def test_similarity_table_shows_the_cosine(capsys, vectors_file, reference_kv):
    code, out, err = run(capsys, "similarity", "queen", "woman", "--vectors", vectors_file)
    assert code == 0, err
    assert "queen" in out and "woman" in out
    assert f"{reference_kv.similarity('queen', 'woman'):.3f}" in out


# ---------------------------------------------------------------------------------------------
# analogy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["add", "mul"])
@pytest.mark.parametrize("topn", [None, 1, 4, 40])
@pytest.mark.parametrize("a, b, c", [("man", "king", "woman"), ("river", "stream", "lake"), ("dog", "cat", "Queen")])
def test_analogy_json_equals_gensim(capsys, vectors_file, reference_kv, a, b, c, method, topn):
    argv = ["analogy", a, b, c, "--vectors", vectors_file, "--method", method]
    if topn is not None:
        argv += ["--topn", topn]
    report = run_json(capsys, *argv)
    assert {"query", "method", "items"} <= set(report)
    assert report["query"] == [a, b, c]
    assert report["method"] == method
    keys = [w.lower() if w not in reference_kv.key_to_index else w for w in (a, b, c)]
    search = reference_kv.most_similar if method == "add" else reference_kv.most_similar_cosmul
    expected = search(positive=keys[1:], negative=keys[:1], topn=topn or 10)
    assert [item["word"] for item in report["items"]] == [word for word, _ in expected]
    assert all(set(item) >= {"word", "score"} and isinstance(item["score"], float) for item in report["items"])
    np.testing.assert_allclose([item["score"] for item in report["items"]], [s for _, s in expected], atol=1e-6)
    assert not set(keys) & {item["word"] for item in report["items"]}


def test_analogy_default_method_is_add(capsys, vectors_file):
    assert run_json(capsys, "analogy", "man", "king", "woman", "--vectors", vectors_file)["method"] == "add"


def test_analogy_table_names_the_answer(capsys, vectors_file):
    code, out, err = run(capsys, "analogy", "man", "king", "woman", "--vectors", vectors_file)
    assert code == 0, err
    assert "queen" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["analogy", "man", "king", "woman", "--method", "sub"],
        ["analogy", "man", "king", "woman", "--topn", "0"],
        ["analogy", "man", "king"],
    ],
)
def test_analogy_bad_options_are_argparse_errors(capsys, vectors_file, argv):
    code, out, err = run(capsys, *argv, "--vectors", vectors_file)
    assert code == 2 and out == "" and "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# odd-one-out
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words",
    [["queen", "woman", "king", "dog"], ["river", "stream", "lake", "money"], ["the", "a", "is"],
     ["france", "europe", "paris", "country", "café", "東京"]],
)
def test_odd_one_out_json_equals_gensim(capsys, vectors_file, reference_kv, words):
    report = run_json(capsys, "odd-one-out", *words, "--vectors", vectors_file)
    assert "odd_one_out" in report
    assert report["odd_one_out"] == reference_kv.doesnt_match(words)


def test_odd_one_out_table_names_the_word(capsys, vectors_file):
    code, out, err = run(capsys, "odd-one-out", "river", "stream", "lake", "queen", "--vectors", vectors_file)
    assert code == 0, err
    assert "queen" in out


def test_odd_one_out_of_two_words_is_one_clear_line(capsys, vectors_file):
    code, out, err = run(capsys, "odd-one-out", "queen", "woman", "--vectors", vectors_file)
    assert_one_line_error(code, out, err, "three")


# ---------------------------------------------------------------------------------------------
# out-of-vocabulary words: exit 2, one line naming them, no traceback
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
@pytest.mark.parametrize(
    "argv, missing",
    [
        (["similarity", "queen", "xyzzy"], ["xyzzy"]),
        (["similarity", "xyzzy", "plugh"], ["xyzzy", "plugh"]),
        (["analogy", "man", "king", "princess"], ["princess"]),
        (["analogy", "xyzzy", "king", "plugh"], ["xyzzy", "plugh"]),
        (["analogy", "xyzzy", "king", "plugh", "--method", "mul"], ["xyzzy", "plugh"]),
        (["odd-one-out", "queen", "woman", "unicorn", "dog"], ["unicorn"]),
        (["odd-one-out", "queen", "gryphon", "unicorn", "dog"], ["gryphon", "unicorn"]),
    ],
)
def test_out_of_vocabulary_words_are_one_line_naming_them(capsys, vectors_file, argv, missing, json_flag):
    code, out, err = run(capsys, *argv, "--vectors", vectors_file, *json_flag)
    assert_one_line_error(code, out, err, *(f"'{word}'" for word in missing), "tiny.bin")
    known = set(argv[1:]) - set(missing) - {"--method", "mul"}
    for word in known:
        assert f"'{word}'" not in err


# ---------------------------------------------------------------------------------------------
# evaluate (tiny vectors: gensim's files, nearly all out of vocabulary)
# ---------------------------------------------------------------------------------------------


def test_evaluate_json_on_tiny_vectors_equals_gensim(capsys, vectors_file, reference_kv):
    import logging

    from gensim.test.utils import datapath

    logging.getLogger("gensim").setLevel(logging.ERROR)
    report = run_json(capsys, "evaluate", "--vectors", vectors_file)
    score, sections = reference_kv.evaluate_word_analogies(datapath("questions-words.txt"))
    analogies = report["analogies"]
    assert analogies["accuracy"] == pytest.approx(score)
    assert (analogies["correct"], analogies["incorrect"]) == (
        len(sections[-1]["correct"]), len(sections[-1]["incorrect"])
    )
    assert [s["section"] for s in analogies["sections"]] == [s["section"] for s in sections[:-1]]
    for name in ("wordsim353", "simlex999"):
        filename = "wordsim353.tsv" if name == "wordsim353" else "simlex999.txt"
        pearson, spearman, oov = reference_kv.evaluate_word_pairs(datapath(filename))
        assert report[name]["spearman"] == pytest.approx(spearman.statistic, abs=1e-12)
        assert report[name]["pearson"] == pytest.approx(pearson.statistic, abs=1e-12)
        assert report[name]["oov_percent"] == pytest.approx(oov)


def test_evaluate_where_no_benchmark_pair_is_known_is_one_clear_line(capsys, vectors_file):
    """BUG: with --restrict-vocab 3 (or any vectors sharing no word pair with WordSim353 or
    SimLex-999), gensim's evaluate_word_pairs raises ValueError("No valid similarity judgements
    found...") which queries.evaluate_pairs does not catch: a traceback and exit 1."""
    code, out, err = run(capsys, "evaluate", "--restrict-vocab", "3", "--vectors", vectors_file, "--json")
    assert_one_line_error(code, out, err, "wordsim353")


# ---------------------------------------------------------------------------------------------
# compare (tiny BERT + tiny vectors)
# ---------------------------------------------------------------------------------------------

COMPARE_TEXTS = ("I sat by the river bank", "the money is in the bank")


def test_compare_json_has_the_shape_and_the_core_figures(capsys, vectors_file, tiny_model_dir, tiny_engine):
    from wordlens.core.measures.static_vs_context import compare

    report = run_json(capsys, "compare", *COMPARE_TEXTS, "--word", "bank",
                      "--model", tiny_model_dir, "--vectors", vectors_file)
    assert {"word", "static_cosine", "layers"} <= set(report)
    assert report["word"] == "bank"
    assert report["static_cosine"] == 1.0
    assert isinstance(report["layers"], list) and len(report["layers"]) == TINY_LAYERS + 1
    assert all(isinstance(value, float) for value in report["layers"])
    assert report["layers"][0] != 1.0  # position embeddings differ (the word's place differs)
    expected = compare(*(tiny_engine.analyze(text) for text in COMPARE_TEXTS), "bank", tiny_engine.vectors)
    np.testing.assert_allclose(report["layers"], expected.layers, atol=1e-6)
    assert report["model"]["layers"] == TINY_LAYERS and report["model"]["heads"] == TINY_HEADS
    difference = np.asarray(report["attention_difference"])
    assert difference.shape == (TINY_LAYERS, TINY_HEADS)  # 'the' and 'bank' are shared


def test_compare_table_runs(capsys, vectors_file, tiny_model_dir):
    code, out, err = run(capsys, "compare", *COMPARE_TEXTS, "--word", "bank",
                         "--model", tiny_model_dir, "--vectors", vectors_file)
    assert code == 0, err
    assert "bank" in out


@pytest.mark.parametrize(
    "texts, word, mention",
    [
        (("the queen walks", "the river bank"), "queen", "queen"),  # not in the second sentence
        (("walking the dog", "the dog walking"), "walking", "walking"),  # not in the static vocabulary
    ],
)
def test_compare_errors_are_one_clear_line(capsys, vectors_file, tiny_model_dir, texts, word, mention):
    code, out, err = run(capsys, "compare", *texts, "--word", word, "--model", tiny_model_dir,
                         "--vectors", vectors_file, "--json")
    assert_one_line_error(code, out, err, mention)


def test_compare_needs_the_word_option(capsys, vectors_file, tiny_model_dir):
    code, out, err = run(capsys, "compare", "a", "b", "--model", tiny_model_dir, "--vectors", vectors_file)
    assert code == 2 and out == "" and "--word" in err


# ---------------------------------------------------------------------------------------------
# The bundled GloVe 6B 50d and all-MiniLM-L6-v2
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def gensim_glove_analogies(reference_glove):
    """gensim's own evaluate_word_analogies on questions-words.txt: several minutes, so once."""
    import logging

    from gensim.test.utils import datapath

    logging.getLogger("gensim").setLevel(logging.ERROR)
    started = time.perf_counter()
    score, sections = reference_glove.evaluate_word_analogies(datapath("questions-words.txt"))
    return score, sections, time.perf_counter() - started


@pytest.fixture(scope="session")
def wordlens_evaluate_report():
    """`wordlens evaluate --json` on the bundled GloVe, once."""
    buffer = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(buffer):
        code = main(["evaluate", "--json"])
    assert code == 0
    return json.loads(buffer.getvalue()), time.perf_counter() - started


@pytest.mark.real_models
@pytest.mark.parametrize("method", ["add", "mul"])
def test_real_analogy_man_king_woman_gives_queen(capsys, method):
    report = run_json(capsys, "analogy", "man", "king", "woman", "--method", method)
    assert "queen" in [item["word"] for item in report["items"][:3]], report["items"][:3]


@pytest.mark.real_models
def test_real_analogy_equals_gensim(capsys, reference_glove):
    for method, search in (("add", reference_glove.most_similar), ("mul", reference_glove.most_similar_cosmul)):
        report = run_json(capsys, "analogy", "man", "king", "woman", "--method", method)
        expected = search(positive=["king", "woman"], negative=["man"], topn=10)
        assert [item["word"] for item in report["items"]] == [word for word, _ in expected]


@pytest.mark.real_models
def test_real_similarity_queen_woman_beats_queen_dog(capsys):
    woman = run_json(capsys, "similarity", "queen", "woman")["cosine"]
    dog = run_json(capsys, "similarity", "queen", "dog")["cosine"]
    assert woman > dog


@pytest.mark.real_models
def test_real_compare_bank_drifts_apart_with_depth(capsys):
    report = run_json(
        capsys, "compare", "I sat by the river bank and watched the water",
        "I deposited the money at the bank this morning", "--word", "bank",
    )
    assert report["static_cosine"] == 1.0
    assert len(report["layers"]) == 7  # embedding output + 6 layers
    assert report["layers"][-1] < report["layers"][0]


@pytest.mark.real_models
def test_real_evaluate_pairs_equal_gensim(wordlens_evaluate_report, reference_glove):
    """Spearman on WordSim353 and SimLex-999 as gensim computes it (restrict_vocab 300,000)."""
    from gensim.test.utils import datapath

    report, _ = wordlens_evaluate_report
    for key, name in (("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")):
        pearson, spearman, oov = reference_glove.evaluate_word_pairs(datapath(name))
        assert report[key]["spearman"] == pytest.approx(spearman.statistic, abs=1e-9), key
        assert report[key]["pearson"] == pytest.approx(pearson.statistic, abs=1e-9), key
        assert report[key]["oov_percent"] == pytest.approx(oov), key
        assert report[key]["restrict_vocab"] == 300_000


@pytest.mark.real_models
def test_real_evaluate_analogies_equal_gensim(wordlens_evaluate_report, gensim_glove_analogies):
    """Accuracy on questions-words.txt equal to gensim's own evaluate_word_analogies (this one
    runs gensim's scan, several minutes; the figure is computed once per session)."""
    report, wordlens_seconds = wordlens_evaluate_report
    score, sections, gensim_seconds = gensim_glove_analogies
    print(f"wordlens evaluate: {wordlens_seconds:.1f} s; gensim evaluate_word_analogies: {gensim_seconds:.1f} s")
    analogies = report["analogies"]
    assert analogies["restrict_vocab"] == 300_000
    assert [s["section"] for s in analogies["sections"]] == [s["section"] for s in sections[:-1]]
    mismatched = [
        (mine["section"], mine["correct"], mine["incorrect"], len(theirs["correct"]), len(theirs["incorrect"]))
        for mine, theirs in zip(analogies["sections"], sections[:-1], strict=True)
        if (mine["correct"], mine["incorrect"]) != (len(theirs["correct"]), len(theirs["incorrect"]))
    ]
    assert not mismatched
    total = sections[-1]
    assert (analogies["correct"], analogies["incorrect"]) == (len(total["correct"]), len(total["incorrect"]))
    assert analogies["accuracy"] == score
