"""The fixed map of the static vocabulary and what the map screen draws on it (issue 13), on the
tiny hand-made vectors and the tiny BERT; the bundled models' promises are marked real_models."""

from __future__ import annotations

import numpy as np
import pytest

from wordlens.core.errors import InputError
from wordlens.core.measures.map_views import (
    analogy_arrows,
    model_space,
    same_word_tokens,
    static_points,
    token_path,
)
from wordlens.core.measures.static_vs_context import StaticMap, cosine
from wordlens.core.reports.json_shapes import map_report
from wordlens.core.vectors.static_projection import fit_static_projection, sample_of, unit_rows

from conftest import TINY_DIM, TINY_HIDDEN, TINY_LAYERS, TINY_WORDS


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))


def sample_units(vectors, size):
    words = sample_of(vectors, size)
    return words, unit_rows(np.stack([vectors.vector(word) for word in words]))


def assert_equal_up_to_axis_sign(ours: np.ndarray, reference: np.ndarray) -> None:
    for axis in range(2):
        sign = np.sign(np.dot(ours[:, axis], reference[:, axis]))
        np.testing.assert_allclose(ours[:, axis], sign * reference[:, axis], atol=1e-9)


def test_pca_coordinates_equal_scikit_learns_pca_on_the_same_sample(tiny_vectors):
    from sklearn.decomposition import PCA

    projection = fit_static_projection(tiny_vectors, "pca", size=20, use_cache=False)
    words, units = sample_units(tiny_vectors, 20)
    assert list(projection.sample_words) == words and len(words) == 20
    reference = PCA(n_components=2, svd_solver="full").fit(units)
    assert_equal_up_to_axis_sign(projection.sample_points, reference.transform(units))
    others = [word for word in TINY_WORDS if word.isalpha() and word not in words]
    assert others  # words outside the sample are placed by the same linear map
    assert_equal_up_to_axis_sign(projection.transform(tiny_vectors, others),
                                 reference.transform(unit_rows(np.stack([tiny_vectors.vector(w) for w in others]))))


def test_the_map_is_cached_on_disk_and_read_back_identical(tiny_vectors, tmp_path):
    first = fit_static_projection(tiny_vectors, "pca", size=20)
    assert list(tmp_path.glob("wordlens/static-projection-*.npz"))
    again = fit_static_projection(tiny_vectors, "pca", size=20)
    np.testing.assert_array_equal(first.transform(tiny_vectors, ["river", "king"]),
                                  again.transform(tiny_vectors, ["river", "king"]))


def test_an_unknown_word_or_method_is_a_clear_error(tiny_vectors):
    projection = fit_static_projection(tiny_vectors, "pca", size=20, use_cache=False)
    with pytest.raises(InputError, match="zzzq"):
        projection.transform(tiny_vectors, ["zzzq"])
    with pytest.raises(InputError, match="unknown map method"):
        fit_static_projection(tiny_vectors, "mds", use_cache=False)


@pytest.mark.parametrize("method", ["umap", "tsne"])
def test_umap_and_tsne_are_seeded_and_reproducible(tiny_vectors, method):
    first = fit_static_projection(tiny_vectors, method, size=24, seed=3, use_cache=False)
    second = fit_static_projection(tiny_vectors, method, size=24, seed=3, use_cache=False)
    np.testing.assert_allclose(first.sample_points, second.sample_points)
    assert first.sample_points.shape == (24, 2) and np.isfinite(first.sample_points).all()
    outside = [word for word in TINY_WORDS if word.isalpha() and word not in first.sample_words]
    placed = first.transform(tiny_vectors, outside)  # the mean of the nearest sample words' places
    low, high = first.sample_points.min(axis=0), first.sample_points.max(axis=0)
    assert ((placed >= low - 1e-9) & (placed <= high + 1e-9)).all()


def test_a_words_static_point_is_the_same_in_two_sentences(tiny_engine):
    projection = tiny_engine.static_projection("pca")
    vectors = tiny_engine.load_vectors()
    tiny_engine.load_model()
    first = static_points(tiny_engine.analyze("the river bank in france"), vectors, projection)
    second = static_points(tiny_engine.analyze("money in the bank , it is"), vectors, projection)
    bank_first = next(point for point in first if point.label == "bank")
    bank_second = next(point for point in second if point.label == "bank")
    assert (bank_first.x, bank_first.y) == (bank_second.x, bank_second.y)
    assert bank_first.kind == "sentence"
    assert {point.kind for point in first} == {"sentence", "neighbour"}


def identity_like_map() -> StaticMap:
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(TINY_LAYERS + 1, TINY_HIDDEN + 1, TINY_DIM)).astype(np.float32)
    return StaticMap(weights, train_words=10, heldout_top10=np.zeros(TINY_LAYERS + 1))


def test_a_tokens_path_is_its_mapped_hidden_states_projected(tiny_engine):
    vectors = tiny_engine.load_vectors()
    tiny_engine.load_model()
    projection = tiny_engine.static_projection("pca")
    analysis = tiny_engine.analyze("the river bank in the bank")
    static_map = identity_like_map()
    context = analysis.require_context()
    bank = context.tokens.index("bank")
    assert same_word_tokens(context, bank) == [i for i, t in enumerate(context.tokens) if t == "bank"]
    path = token_path(analysis, vectors, projection, static_map, bank)
    assert [point.layer for point in path.points] == list(range(TINY_LAYERS + 1))
    for layer, point in enumerate(path.points):
        mapped = static_map.project(context.hidden_states[layer, bank].astype(np.float64), layer)
        np.testing.assert_allclose((point.x, point.y), projection.transform_vectors(mapped)[0])
    assert path.start is not None and path.start.label == "bank"
    np.testing.assert_allclose((path.start.x, path.start.y), projection.transform(vectors, ["bank"])[0])


def test_model_space_is_one_pca_over_every_layer(tiny_engine):
    tiny_engine.load_vectors()
    tiny_engine.load_model()
    context = tiny_engine.analyze("the river bank in the bank").require_context()
    coordinates = model_space(context)
    assert coordinates.shape == (TINY_LAYERS + 1, len(context.tokens), 2)
    from sklearn.decomposition import PCA

    units = unit_rows(context.hidden_states)
    fitted = units[:, ~context.special, :].reshape(-1, units.shape[-1])
    reference = PCA(n_components=2, svd_solver="full").fit(fitted).transform(fitted)
    ours = coordinates[:, ~context.special, :].reshape(-1, 2)
    assert_equal_up_to_axis_sign(ours, reference)


def test_analogy_arrows_end_at_the_3cosadd_answer(tiny_engine, tiny_keyed_vectors):
    vectors = tiny_engine.load_vectors()
    projection = tiny_engine.static_projection("pca")
    first, second = analogy_arrows(vectors, projection, "man", "king", "woman")
    answer = tiny_keyed_vectors.most_similar(positive=["king", "woman"], negative=["man"], topn=1)[0][0]
    assert (first.start.label, first.end.label, second.start.label, second.end.label) == \
        ("man", "king", "woman", answer)
    np.testing.assert_allclose((second.end.x, second.end.y), projection.transform(vectors, [answer])[0])


def test_the_map_report_has_the_issues_shape(tiny_engine):
    vectors = tiny_engine.load_vectors()
    tiny_engine.load_model()
    analysis = tiny_engine.analyze("the river bank in the bank")
    report = map_report(analysis, vectors, tiny_engine.static_projection("pca"), identity_like_map(), layer=1)
    assert {"method", "layer", "static", "paths", "model_space"} <= set(report)
    assert set(report["static"][0]) >= {"word", "x", "y", "in_sentence"}
    assert set(report["paths"][0]) >= {"token_index", "token", "points"}
    assert set(report["paths"][0]["points"][0]) == {"layer", "x", "y"}
    context = analysis.require_context()
    assert len(report["model_space"]) == (TINY_LAYERS + 1) * int((~context.special).sum())
    assert set(report["model_space"][0]) == {"layer", "token_index", "token", "text", "x", "y"}  # text: readable


# ---- the bundled models -------------------------------------------------------------------------

BANKS = "I sat on the river bank, then paid the cheque in at the bank"


@pytest.mark.real_models
def test_the_two_banks_part_from_the_embeddings_to_the_last_layer(bundled_engine):
    analysis = bundled_engine.analyze(BANKS)
    context = analysis.require_context()
    first, second = same_word_tokens(context, context.tokens.index("bank"))
    states = context.hidden_states.astype(np.float64)
    cosines = cosine(states[:, first], states[:, second])
    assert cosines[-1] < cosines[0]  # farther apart in cosine at the last layer than at the embeddings
    coordinates = model_space(context)
    distance = np.linalg.norm(coordinates[:, first] - coordinates[:, second], axis=-1)
    assert distance[-1] > distance[0]  # and on the map of the model's space


@pytest.mark.real_models
def test_a_words_static_point_is_the_same_in_two_real_sentences(bundled_engine):
    vectors = bundled_engine.load_vectors()
    projection = bundled_engine.static_projection("pca")
    points = [next(p for p in static_points(bundled_engine.analyze(text), vectors, projection) if p.label == "bank")
              for text in ("I sat on the river bank", "she paid the cheque in at the bank")]
    assert (points[0].x, points[0].y) == (points[1].x, points[1].y)


@pytest.mark.real_models
def test_where_the_two_banks_paths_end_in_static_terms(bundled_engine):
    """What is true of the bundled pair (measured, not hoped for): at the last layer both banks'
    paths end among financial words (`bank` is the nearest word shared by both ends), nearer
    `money` than `river`; the river bank's end is only relatively nearer `river`, and the money
    bank's nearer `money`. The map screen says so: 'not apart: both near bank'."""
    from wordlens.core.measures.map_views import ends_apart, path_ends

    vectors = bundled_engine.load_vectors()
    analysis = bundled_engine.analyze(BANKS)
    context = analysis.require_context()
    projection = bundled_engine.static_projection("pca")
    static_map = bundled_engine.static_map()
    river_bank, money_bank = same_word_tokens(context, context.tokens.index("bank"))
    ends = tuple(path_ends(token_path(analysis, vectors, projection, static_map, token), vectors, ("river", "money"))
                 for token in (river_bank, money_bank))
    last = context.model.layers
    assert ends_apart(ends, last) is False
    assert all("bank" in {item.word for item in end.nearest[last]} for end in ends)
    assert all("river" not in {item.word for item in end.nearest[last]} for end in ends)
    (river_of_river, money_of_river), (river_of_money, money_of_money) = (end.cosines[last] for end in ends)
    assert money_of_river > river_of_river and money_of_money > river_of_money  # both nearer money
    assert river_of_river > river_of_money and money_of_money > money_of_river  # yet each nearer its own sense
