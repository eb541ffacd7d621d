"""Static queries on the tiny vectors: analogy, odd one out, the benchmarks, and their helpers.

Every answer is checked against gensim itself (a separate KeyedVectors holding the same vectors),
scipy, or plain numpy, never against the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from wordlens.core.errors import InputError
from wordlens.core.measures.attention_views import rank_correlation
from wordlens.core.vectors import queries
from wordlens.core.vectors.topk import BLOCK, top_k_rows

from conftest import TINY_VECTORS, TINY_WORDS

# gensim's own most_similar_cosmul calls its deprecated init_sims: not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")

# ---------------------------------------------------------------------------------------------
# analogy
# ---------------------------------------------------------------------------------------------

ANALOGY_QUERIES = [
    ("man", "king", "woman"),
    ("river", "stream", "lake"),
    ("france", "paris", "europe"),
    ("dog", "cat", "queen"),
    ("king", "queen", "man"),
    ("a", "the", "is"),
    ("Apple", "apple", "東京"),  # two case variants that are two entries
    ("café", "naïve", ","),
    ("queen", "queen", "dog"),  # a repeated query word
]


def test_the_tiny_vectors_answer_man_king_woman_with_queen(tiny_vectors):
    # by construction (woman ~ queen, king ~ queen): the sanity check the product promises
    assert queries.analogy(tiny_vectors, "man", "king", "woman")[0].word == "queen"
    assert queries.analogy(tiny_vectors, "river", "stream", "lake")[0].word == "sea"


@pytest.mark.parametrize("topn", [1, 3, 10, 26, 100])
@pytest.mark.parametrize("a, b, c", ANALOGY_QUERIES)
def test_analogy_add_equals_gensim_most_similar(tiny_vectors, tiny_keyed_vectors, a, b, c, topn):
    found = queries.analogy(tiny_vectors, a, b, c, method="add", topn=topn)
    expected = tiny_keyed_vectors.most_similar(positive=[b, c], negative=[a], topn=topn)
    assert [item.word for item in found] == [word for word, _ in expected]
    np.testing.assert_allclose([item.score for item in found], [score for _, score in expected], rtol=0, atol=1e-6)
    assert all(type(item.score) is float for item in found)
    assert not {a, b, c} & {item.word for item in found}  # the query words are excluded
    assert len(found) == min(topn, len(TINY_WORDS) - len({a, b, c}))


@pytest.mark.parametrize("topn", [1, 3, 10, 26, 100])
@pytest.mark.parametrize("a, b, c", ANALOGY_QUERIES)
def test_analogy_mul_equals_gensim_most_similar_cosmul(tiny_vectors, tiny_keyed_vectors, a, b, c, topn):
    found = queries.analogy(tiny_vectors, a, b, c, method="mul", topn=topn)
    expected = tiny_keyed_vectors.most_similar_cosmul(positive=[b, c], negative=[a], topn=topn)
    assert [item.word for item in found] == [word for word, _ in expected]
    np.testing.assert_allclose([item.score for item in found], [score for _, score in expected], rtol=1e-6, atol=1e-6)
    assert not {a, b, c} & {item.word for item in found}
    assert len(found) == min(topn, len(TINY_WORDS) - len({a, b, c}))


def test_analogy_mul_by_plain_numpy(tiny_vectors):
    """3CosMul (Levy & Goldberg 2014, cosines shifted to [0, 1], epsilon 1e-6), written out."""
    units = {w: np.asarray(v, np.float64) / np.linalg.norm(v) for w, v in TINY_VECTORS.items()}
    shifted = {w: {q: (1 + units[w] @ units[q]) / 2 for q in ("man", "king", "woman")} for w in TINY_WORDS}
    scores = {w: s["king"] * s["woman"] / (s["man"] + 1e-6) for w, s in shifted.items()
              if w not in ("man", "king", "woman")}
    expected = sorted(scores, key=scores.get, reverse=True)[:5]
    found = queries.analogy(tiny_vectors, "man", "king", "woman", method="mul", topn=5)
    assert [item.word for item in found] == expected
    np.testing.assert_allclose([item.score for item in found], [scores[w] for w in expected], rtol=1e-5)


def test_analogy_uses_the_lowercase_entry_of_a_capitalised_word(tiny_vectors, tiny_keyed_vectors):
    found = queries.analogy(tiny_vectors, "MAN", "King", "Woman", topn=5)
    expected = tiny_keyed_vectors.most_similar(positive=["king", "woman"], negative=["man"], topn=5)
    assert [item.word for item in found] == [word for word, _ in expected]


def test_analogy_with_an_unknown_method_is_an_input_error(tiny_vectors):
    with pytest.raises(InputError, match="method"):
        queries.analogy(tiny_vectors, "man", "king", "woman", method="sub")


@pytest.mark.parametrize("method", ["add", "mul"])
@pytest.mark.parametrize(
    "words, missing",
    [
        (("xyzzy", "king", "woman"), ["xyzzy"]),
        (("man", "plugh", "woman"), ["plugh"]),
        (("man", "king", "princess"), ["princess"]),
        (("xyzzy", "king", "plugh"), ["xyzzy", "plugh"]),
        (("foo", "bar", "baz"), ["foo", "bar", "baz"]),
    ],
)
def test_analogy_names_every_missing_word(tiny_vectors, words, missing, method):
    with pytest.raises(InputError) as raised:
        queries.analogy(tiny_vectors, *words, method=method)
    message = str(raised.value)
    for word in missing:
        assert f"'{word}'" in message
    for word in set(words) - set(missing):
        assert word not in message
    assert "tiny" in message  # which vectors


# ---------------------------------------------------------------------------------------------
# odd one out
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words",
    [
        ["queen", "woman", "king", "dog"],
        ["river", "stream", "lake", "money"],
        ["river", "stream", "lake", "sea"],
        ["the", "a", "is"],
        ["france", "europe", "paris", "country", "café", "東京"],
        ["Apple", "apple", "queen"],
        TINY_WORDS,
    ],
)
def test_odd_one_out_equals_gensim_doesnt_match(tiny_vectors, tiny_keyed_vectors, words):
    assert queries.odd_one_out(tiny_vectors, words) == tiny_keyed_vectors.doesnt_match(words)


def test_odd_one_out_by_construction(tiny_vectors):
    assert queries.odd_one_out(tiny_vectors, ["river", "stream", "lake", "queen"]) == "queen"


def test_odd_one_out_returns_the_word_as_given(tiny_vectors, tiny_keyed_vectors):
    given = ["River", "STREAM", "lake", "Queen"]
    assert queries.odd_one_out(tiny_vectors, given) == "Queen"


@pytest.mark.parametrize("words", [[], ["queen"], ["queen", "woman"], ["xyzzy", "plugh"]])
def test_odd_one_out_needs_three_words(tiny_vectors, words):
    with pytest.raises(InputError, match="three"):
        queries.odd_one_out(tiny_vectors, words)


def test_odd_one_out_names_every_missing_word(tiny_vectors):
    with pytest.raises(InputError) as raised:
        queries.odd_one_out(tiny_vectors, ["queen", "xyzzy", "woman", "plugh"])
    message = str(raised.value)
    assert "'xyzzy'" in message and "'plugh'" in message
    assert "queen" not in message and "woman" not in message


# ---------------------------------------------------------------------------------------------
# top_k_rows
# ---------------------------------------------------------------------------------------------

WIDTHS = [1, 2, 7, 8, 100, 1023, 1024, 1025, 2048, 3000, 4095, 4096, 4097, 5000, 8191, 9000, 33 * 1024 + 1,
          65_537, 100_003]
KS = [1, 2, 3, 5, 8, 10, 32]


def reference_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-scores, axis=1)[:, :k]


@pytest.mark.parametrize("width", WIDTHS)
def test_top_k_rows_equals_argsort_on_random_rows(width):
    rng = np.random.default_rng(width)
    scores = rng.standard_normal((6, width))  # float64: no ties
    for k in KS:
        found = top_k_rows(scores, k)
        assert found.shape == (6, min(k, width))
        np.testing.assert_array_equal(found, reference_top_k(scores, k), err_msg=f"width {width}, k {k}")


@pytest.mark.parametrize("k", [1, 3, 8, 10, 50])
def test_top_k_rows_on_a_glove_sized_width(k):
    rng = np.random.default_rng(k)
    scores = rng.standard_normal((3, 300_001))
    np.testing.assert_array_equal(top_k_rows(scores, k), reference_top_k(scores, k))


@pytest.mark.parametrize("width", [5000, 40_000, 300_001])
def test_top_k_rows_on_float32_scores(width):
    """float32 (the dtype scores have) may tie: the chosen values must equal argsort's."""
    rng = np.random.default_rng(width)
    scores = rng.standard_normal((4, width)).astype(np.float32)
    for k in (1, 8, 10, 50):
        found = top_k_rows(scores, k)
        expected = reference_top_k(scores, k)
        np.testing.assert_array_equal(np.take_along_axis(scores, found, 1), np.take_along_axis(scores, expected, 1))
        assert all(len(set(row)) == k for row in found.tolist())


@pytest.mark.parametrize("width", [9000, 20_481, 300_001])
def test_top_k_rows_when_the_best_are_packed_together(width):
    """The largest values all in one block, all in the tail past the last whole block, or spread
    at block boundaries: the cases where picking blocks by their maxima could go wrong."""
    k = 10
    rng = np.random.default_rng(0)
    rows = []
    base = rng.standard_normal(width)
    increasing = np.sort(base)  # the k largest in the tail (or the last block)
    rows.append(increasing)
    rows.append(increasing[::-1].copy())  # the k largest in block 0
    one_block = base.copy()
    one_block[BLOCK * 3 : BLOCK * 3 + 2 * k] = 10 + rng.standard_normal(2 * k)  # all in block 3
    rows.append(one_block)
    edges = base.copy()
    for i in range(1, k + 1):
        edges[(BLOCK * i - 1) % width] = 20 + i  # last column of blocks 0..k-1
    rows.append(edges)
    tail = base.copy()
    tail[-min(k, width % BLOCK or k):] = 30 + np.arange(min(k, width % BLOCK or k))
    rows.append(tail)
    scores = np.stack(rows)
    for k_ in (1, k, 2 * k):
        np.testing.assert_array_equal(top_k_rows(scores, k_), reference_top_k(scores, k_))


def test_top_k_rows_with_many_ties_picks_equal_values():
    rng = np.random.default_rng(3)
    for width in (50, 4096, 12_345, 300_001):
        scores = rng.integers(0, 20, size=(5, width)).astype(np.float32)
        for k in (1, 5, 10):
            found = top_k_rows(scores, k)
            expected = reference_top_k(scores, k)
            np.testing.assert_array_equal(np.take_along_axis(scores, found, 1), np.take_along_axis(scores, expected, 1))
            assert all(len(set(row)) == k for row in found.tolist())


def test_top_k_rows_on_a_non_contiguous_view():
    rng = np.random.default_rng(5)
    wide = rng.standard_normal((8, 20_000))
    view = wide[::2, 1::2]  # strided in both axes
    np.testing.assert_array_equal(top_k_rows(view, 7), reference_top_k(view, 7))
    transposed = rng.standard_normal((30_000, 3)).T
    np.testing.assert_array_equal(top_k_rows(transposed, 4), reference_top_k(transposed, 4))


def test_top_k_rows_with_k_larger_than_the_width():
    scores = np.random.default_rng(1).standard_normal((3, 5))
    np.testing.assert_array_equal(top_k_rows(scores, 8), np.argsort(-scores, axis=1))


# ---------------------------------------------------------------------------------------------
# evaluate_analogies against gensim's evaluate_word_analogies
# ---------------------------------------------------------------------------------------------

ANALOGY_FILE = """\
: family
man king woman queen
MAN KING WOMAN QUEEN
king queen man woman
man king woman dog
man king woman princess
prince king woman queen
this line has five words
three word line
: water
river stream lake sea
River Stream Lake Sea
lake river stream sea
river lake stream sea
sea river lake stream
river stream lake ocean
: empty section
foo bar baz qux
: cases and accents
Apple apple king queen
apple Apple king queen
APPLE king queen woman
café naïve 東京 paris
CAFÉ NAÏVE 東京 PARIS
the a is it
it is a the
, . the a
man king woman man
queen queen dog dog

: frequent words
the a is in
a the in is
is it in ,
it in , the
in , the a
"""


@pytest.fixture(scope="module")
def analogy_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("analogies") / "analogies.txt"
    path.write_text(ANALOGY_FILE, encoding="utf-8")
    return path


def gensim_analogies(kv, path, restrict_vocab):
    import logging

    logging.getLogger("gensim").setLevel(logging.ERROR)
    return kv.evaluate_word_analogies(str(path), restrict_vocab=restrict_vocab)


def test_the_analogy_file_has_right_and_wrong_answers(tiny_keyed_vectors, analogy_file):
    """Guard the test data: gensim itself finds some right, some wrong, and skips some lines."""
    score, sections = gensim_analogies(tiny_keyed_vectors, analogy_file, 300_000)
    total = sections[-1]
    assert total["section"] == "Total accuracy"
    assert ("MAN", "KING", "WOMAN", "QUEEN") in total["correct"]
    assert ("RIVER", "STREAM", "LAKE", "SEA") in total["correct"]
    assert ("MAN", "KING", "WOMAN", "DOG") in total["incorrect"]
    assert len(total["correct"]) >= 4 and len(total["incorrect"]) >= 4
    assert 0 < score < 1


@pytest.mark.parametrize("restrict_vocab", [1, 3, 5, 7, 10, 11, 15, 20, 22, 24, 25, 26, 29, 30, 31, 300_000])
@pytest.mark.parametrize("batch", [256, 3])
def test_evaluate_analogies_equals_gensim(tiny_vectors, tiny_keyed_vectors, analogy_file, restrict_vocab, batch):
    score, sections = gensim_analogies(tiny_keyed_vectors, analogy_file, restrict_vocab)
    ours = queries.evaluate_analogies(tiny_vectors, analogy_file, restrict_vocab=restrict_vocab, batch=batch)
    assert ours.accuracy == pytest.approx(score, abs=1e-12)
    assert [s.name for s in ours.sections] == [s["section"] for s in sections[:-1]]
    for mine, theirs in zip(ours.sections, sections[:-1], strict=True):
        assert (mine.correct, mine.incorrect) == (len(theirs["correct"]), len(theirs["incorrect"])), mine.name
    total = sections[-1]
    assert total["section"] == "Total accuracy"
    assert (ours.correct, ours.incorrect) == (len(total["correct"]), len(total["incorrect"]))
    assert ours.restrict_vocab == min(restrict_vocab, len(TINY_WORDS))


def expected_oov(restrict_vocab: int) -> int:
    """Four-word lines of ANALOGY_FILE with a word outside the first `restrict_vocab` (case-insensitive)."""
    known = {w.upper() for w in TINY_WORDS[:restrict_vocab]}
    lines = [line.split() for line in ANALOGY_FILE.splitlines() if line and not line.startswith(": ")]
    return sum(1 for words in lines if len(words) == 4 and not all(w.upper() in known for w in words))


@pytest.mark.parametrize("restrict_vocab", [5, 20, 30])
def test_evaluate_analogies_counts_the_skipped_lines(tiny_vectors, analogy_file, restrict_vocab):
    ours = queries.evaluate_analogies(tiny_vectors, analogy_file, restrict_vocab=restrict_vocab)
    assert ours.oov == expected_oov(restrict_vocab)
    four_word_lines = sum(
        1 for line in ANALOGY_FILE.splitlines() if not line.startswith(": ") and len(line.split()) == 4
    )
    assert ours.correct + ours.incorrect + ours.oov == four_word_lines


def test_evaluate_analogies_of_a_file_with_only_unknown_words(tiny_vectors, tiny_keyed_vectors, tmp_path):
    path = tmp_path / "unknown.txt"
    path.write_text(": nothing known\nfoo bar baz qux\n", encoding="utf-8")
    ours = queries.evaluate_analogies(tiny_vectors, path)
    score, sections = gensim_analogies(tiny_keyed_vectors, path, 300_000)
    assert ours.accuracy == score == 0.0
    assert (ours.correct, ours.incorrect, ours.oov) == (0, 0, 1)
    assert [s.name for s in ours.sections] == ["nothing known"]


# ---------------------------------------------------------------------------------------------
# evaluate_pairs against gensim's evaluate_word_pairs
# ---------------------------------------------------------------------------------------------

PAIRS_FILE = """\
# a comment line
# word1\tword2\tscore
queen\twoman\t9.0
queen\tking\t8.0
queen\tdog\t1.0
river\tstream\t9.5
river\tlake\t8.0
river\tsea\t8.0
river\tmoney\t1.5
Bank\tmoney\t7.0
bank\triver\t6.0
DOG\tcat\t7.5
france\tparis\t7.5
france\teurope\t6.0
paris\tcountry\t3.0
the\ta\t3.0
café\tnaïve\t1.0
東京\tparis\t6.0
xyzzy\tqueen\t5.0
queen\tprincess\t9.0
apple\tApple\t10.0
"""


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pairs") / "pairs.tsv"
    path.write_text(PAIRS_FILE, encoding="utf-8")
    return path


@pytest.mark.parametrize("restrict_vocab", [8, 12, 20, 25, 30, 300_000])
def test_evaluate_pairs_equals_gensim(tiny_vectors, tiny_keyed_vectors, pairs_file, restrict_vocab):
    import logging

    logging.getLogger("gensim").setLevel(logging.ERROR)
    pearson, spearman, oov_ratio = tiny_keyed_vectors.evaluate_word_pairs(
        str(pairs_file), restrict_vocab=restrict_vocab
    )
    ours = queries.evaluate_pairs(tiny_vectors, pairs_file, restrict_vocab=restrict_vocab)
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-12)
    assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-12)
    assert ours.oov_ratio == pytest.approx(oov_ratio, abs=1e-12)
    assert type(ours.spearman) is float and type(ours.pearson) is float


def test_evaluate_pairs_by_scipy(tiny_vectors, pairs_file):
    """The same figure from scratch: numpy cosines, scipy's Spearman, OOV pairs skipped."""
    lookup = {w.upper(): w for w in reversed(TINY_WORDS)}
    gold, model, oov = [], [], 0
    for line in PAIRS_FILE.splitlines():
        if line.startswith("#"):
            continue
        a, b, score = line.split("\t")
        if a.upper() in lookup and b.upper() in lookup:
            va, vb = (np.asarray(TINY_VECTORS[lookup[w.upper()]], np.float64) for w in (a, b))
            gold.append(float(score))
            model.append(va @ vb / np.linalg.norm(va) / np.linalg.norm(vb))
        else:
            oov += 1
    ours = queries.evaluate_pairs(tiny_vectors, pairs_file)
    assert ours.spearman == pytest.approx(scipy.stats.spearmanr(gold, model).statistic, abs=1e-6)
    assert oov == 2 and len(gold) == 17
    assert ours.oov_ratio == pytest.approx(100 * oov / (oov + len(gold)))
    assert ours.pairs == oov + len(gold)


# ---------------------------------------------------------------------------------------------
# rank_correlation against scipy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_rank_correlation_equals_scipy_spearmanr_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 400))
    a = rng.integers(0, max(2, n // 5), size=n).astype(np.float64)  # many ties
    b = 0.5 * a + rng.integers(0, 4, size=n)  # correlated, with ties too
    expected = scipy.stats.spearmanr(a, b).statistic
    if math.isnan(expected):
        assert math.isnan(rank_correlation(a, b))
    else:
        assert rank_correlation(a, b) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_rank_correlation_equals_scipy_on_continuous_and_float32_data(seed):
    rng = np.random.default_rng(100 + seed)
    a = rng.standard_normal(200)
    b = a + rng.standard_normal(200)
    assert rank_correlation(a, b) == pytest.approx(scipy.stats.spearmanr(a, b).statistic, abs=1e-12)
    a32 = np.round(a, 1).astype(np.float32)  # float32 with ties
    b32 = np.round(b, 1).astype(np.float32)
    assert rank_correlation(a32, b32) == pytest.approx(scipy.stats.spearmanr(a32, b32).statistic, abs=1e-9)


def test_rank_correlation_edge_cases():
    assert rank_correlation([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert math.isnan(rank_correlation([1, 1, 1], [1, 2, 3]))  # one side constant
    assert rank_correlation([1, 1, 2, 2], [1, 2, 1, 2]) == pytest.approx(
        scipy.stats.spearmanr([1, 1, 2, 2], [1, 2, 1, 2]).statistic
    )


# ---------------------------------------------------------------------------------------------
# the benchmark files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["questions-words.txt", "wordsim353.tsv", "simlex999.txt"])
def test_gensim_test_file_is_gensims_own(name):
    from gensim.test.utils import datapath

    path = queries.gensim_test_file(name)
    assert path.is_file()
    assert path.resolve() == __import__("pathlib").Path(datapath(name)).resolve()


def test_gensim_test_file_missing_is_an_input_error():
    with pytest.raises(InputError, match="no-such-benchmark.txt"):
        queries.gensim_test_file("no-such-benchmark.txt")
