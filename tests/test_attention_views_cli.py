"""`wordlens attention TEXT --json` with view options: the "view" it prints equals a plain numpy
computation from the raw "attention" of the same JSON.

The reference computations here are written out with loops and the tokenizer's own word ids,
independently of `wordlens.core.measures.attention_views`. Tiny 2-layer, 4-head BERT.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli_support import assert_one_line_error, never_open_the_explorer, run  # noqa: F401 (the fixture applies by import)
from conftest import TINY_HEADS, TINY_LAYERS

# "[CLS] the queen walk ##s quick ##ly , walk ##ing ##s . [SEP]": two 2-piece words, one 3-piece word.
TEXT = "the queen walks quickly, walkings."
MULTI_PIECE_WORDS = {"walks": 2, "quickly": 2, "walkings": 3}


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    import transformers

    return transformers.AutoTokenizer.from_pretrained(str(tiny_model_dir))


def attention_json(capsys, model_dir, *options, text: str = TEXT) -> dict:
    code, out, err = run(capsys, "attention", text, "--model", model_dir, *options, "--json")
    assert code == 0, err
    assert out.count("\n") == 1  # one JSON document, one line
    return json.loads(out)


# ---------------------------------------------------------------------------------------------
# Reference computations (float64, loops where it reads clearer)
# ---------------------------------------------------------------------------------------------


def reference_rollout(raw: np.ndarray, last_layer: int) -> np.ndarray:
    """Abnar & Zuidema: per layer (heads averaged + identity, rows renormalised), multiplied in order."""
    size = raw.shape[-1]
    result = np.eye(size)
    for layer in range(last_layer + 1):
        mixed = np.zeros((size, size))
        for head in range(raw.shape[1]):
            mixed += raw[layer, head]
        mixed = mixed / raw.shape[1] + np.eye(size)
        for i in range(size):
            mixed[i] /= mixed[i].sum()
        result = mixed @ result
    return result


def reference_aggregate(raw: np.ndarray, aggregate: str, layer: int, head: int) -> np.ndarray:
    if aggregate == "head":
        return raw[layer, head].copy()
    if aggregate == "mean":
        return sum(raw[layer, h] for h in range(raw.shape[1])) / raw.shape[1]
    if aggregate == "max":
        out = raw[layer, 0].copy()
        for h in range(1, raw.shape[1]):
            out = np.maximum(out, raw[layer, h])
        return out
    assert aggregate == "rollout"
    return reference_rollout(raw, layer)


def reference_units(tokenizer, text: str) -> tuple[list[list[int]], list[str], list[bool]]:
    """Tokens grouped as the tokenizer's word ids group them; special tokens stand alone.
    Returns (tokens of each unit, label of each unit, unit is special)."""
    encoded = tokenizer(text, return_offsets_mapping=True)
    word_ids = encoded.word_ids()
    offsets = encoded["offset_mapping"]
    tokens = tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    groups: list[list[int]] = []
    labels: list[str] = []
    special: list[bool] = []
    seen: dict[int, int] = {}
    for t, word in enumerate(word_ids):
        if word is not None and word in seen:
            groups[seen[word]].append(t)
            continue
        if word is not None:
            seen[word] = len(groups)
        groups.append([t])
        special.append(word is None)
        labels.append(tokens[t])
    for unit, members in enumerate(groups):
        if not special[unit]:
            labels[unit] = text[offsets[members[0]][0] : offsets[members[-1]][1]]
    return groups, labels, special


def reference_merge(matrix: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """To a unit: the sum over its tokens' columns; from a unit: the mean over its tokens' rows."""
    merged = np.zeros((len(groups), len(groups)))
    for u, rows in enumerate(groups):
        for v, columns in enumerate(groups):
            merged[u, v] = np.mean([sum(matrix[i, j] for j in columns) for i in rows])
    return merged


def reference_hide(matrix: np.ndarray, special: list[bool]) -> np.ndarray:
    keep = [i for i, is_special in enumerate(special) if not is_special]
    kept = matrix[np.ix_(keep, keep)].copy()
    for i in range(len(kept)):
        total = kept[i].sum()
        kept[i] = kept[i] / total if total > 0 else 0.0
    return kept


def reference_view(report: dict, tokenizer, text: str, aggregate: str, layer: int, head: int,
                   words: bool, hide_special: bool) -> tuple[np.ndarray, list[str]]:
    raw = np.asarray(report["attention"], dtype=np.float64)
    matrix = reference_aggregate(raw, aggregate, layer, head)
    tokens = report["tokens"]
    if words:
        groups, labels, special = reference_units(tokenizer, text)
        matrix = reference_merge(matrix, groups)
    else:
        labels, special = list(tokens), [tok in tokenizer.all_special_tokens for tok in tokens]
    if hide_special:
        matrix = reference_hide(matrix, special)
        labels = [label for label, is_special in zip(labels, special, strict=True) if not is_special]
    return matrix, labels


# ---------------------------------------------------------------------------------------------
# The views
# ---------------------------------------------------------------------------------------------

# (options, aggregate, layer, head): the options count from 1 as the screens do, the JSON from 0;
# the CLI's defaults spelled out
VIEWS = [
    ([], "mean", 0, None),
    (["--layer", "2", "--head", "3"], "head", 1, 2),
    (["--layer", "1", "--head", "1"], "head", 0, 0),
    (["--aggregate", "head", "--layer", "2"], "head", 1, 0),
    (["--layer", "2"], "mean", 1, None),
    (["--aggregate", "mean", "--layer", "1"], "mean", 0, None),
    (["--aggregate", "max", "--layer", "2"], "max", 1, None),
    (["--aggregate", "max", "--layer", "1"], "max", 0, None),
    (["--aggregate", "rollout"], "rollout", TINY_LAYERS - 1, None),
    (["--aggregate", "rollout", "--layer", "1"], "rollout", 0, None),
    (["--aggregate", "rollout", "--layer", "2"], "rollout", 1, None),
]
FLAGS = [
    ([], False, False),
    (["--words"], True, False),
    (["--hide-special"], False, True),
    (["--words", "--hide-special"], True, True),
]


@pytest.mark.parametrize(
    "flags, words, hide_special", FLAGS, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
@pytest.mark.parametrize(
    "options, aggregate, layer, head", VIEWS, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_view_equals_an_independent_computation(
    capsys, tiny_model_dir, tokenizer, options, aggregate, layer, head, flags, words, hide_special
):
    report = attention_json(capsys, tiny_model_dir, *options, *flags)
    spec = report["view_spec"]
    assert spec["aggregate"] == aggregate and spec["layer"] == layer and spec["head"] == head
    assert spec["words"] is words and spec["hide_special"] is hide_special

    expected, labels = reference_view(report, tokenizer, TEXT, aggregate, layer, head or 0, words, hide_special)
    view = np.asarray(report["view"], dtype=np.float64)
    assert report["view_labels"] == labels
    assert view.shape == expected.shape == (len(labels), len(labels))
    np.testing.assert_allclose(view, expected, atol=2e-6, rtol=1e-5)

    sums = view.sum(axis=-1)
    if aggregate == "max" and not hide_special:
        # a per-cell maximum over heads is not a distribution: each row sums to at least 1
        assert (sums >= 1 - 1e-5).all() and (sums > 1 + 1e-3).any()
    else:
        np.testing.assert_allclose(sums, 1.0, atol=1e-5)


def test_the_head_view_is_exactly_that_heads_raw_weights(capsys, tiny_model_dir):
    report = attention_json(capsys, tiny_model_dir, "--layer", "2", "--head", "3")
    assert report["view"] == report["attention"][1][2]
    assert report["view_labels"] == report["tokens"]


def test_special_is_the_tokenizers_special_tokens_mask(capsys, tiny_model_dir, tokenizer):
    report = attention_json(capsys, tiny_model_dir)
    tokens = report["tokens"]
    special = report["special"]
    assert len(special) == len(tokens) and all(type(flag) is bool for flag in special)
    ids = tokenizer.convert_tokens_to_ids(tokens)
    assert special == [bool(x) for x in tokenizer.get_special_tokens_mask(ids, already_has_special_tokens=True)]
    assert special == [token in ("[CLS]", "[SEP]") for token in tokens]
    assert special[0] and special[-1] and sum(special) == 2


def test_words_merge_the_pieces_of_each_word(capsys, tiny_model_dir, tokenizer):
    report = attention_json(capsys, tiny_model_dir, "--words")
    tokens = report["tokens"]
    assert tokens == ["[CLS]", "the", "queen", "walk", "##s", "quick", "##ly", ",", "walk", "##ing", "##s", ".",
                      "[SEP]"]
    labels = report["view_labels"]
    assert labels == ["[CLS]", "the", "queen", "walks", "quickly", ",", "walkings", ".", "[SEP]"]
    unit_of_token = report["unit_of_token"]
    assert unit_of_token == [0, 1, 2, 3, 3, 4, 4, 5, 6, 6, 6, 7, 8]
    for word, pieces in MULTI_PIECE_WORDS.items():
        assert labels.count(word) == 1
        assert unit_of_token.count(labels.index(word)) == pieces
    # the specials are units of their own
    assert unit_of_token.count(0) == 1 and unit_of_token.count(len(labels) - 1) == 1

    # spelled out for one word: from "walkings" (3 pieces) to "walks" (2 pieces), layer 0 mean
    raw = np.asarray(report["attention"], dtype=np.float64)
    mean = raw[0].mean(axis=0)
    from_walkings_to_walks = np.mean([mean[i, 3] + mean[i, 4] for i in (8, 9, 10)])
    assert report["view"][labels.index("walkings")][labels.index("walks")] == pytest.approx(from_walkings_to_walks,
                                                                                          abs=1e-6)
    _, reference_labels, _ = reference_units(tokenizer, TEXT)
    assert labels == reference_labels


def test_words_and_hide_special_keep_unit_of_token_over_all_tokens(capsys, tiny_model_dir):
    report = attention_json(capsys, tiny_model_dir, "--words", "--hide-special", "--aggregate", "rollout")
    assert report["view_labels"] == ["the", "queen", "walks", "quickly", ",", "walkings", "."]
    assert len(report["unit_of_token"]) == len(report["tokens"])  # a token -> unit map, specials included


def test_hide_special_drops_cls_and_sep(capsys, tiny_model_dir):
    report = attention_json(capsys, tiny_model_dir, "--hide-special", "--layer", "2", "--head", "4")
    labels = report["view_labels"]
    assert "[CLS]" not in labels and "[SEP]" not in labels
    assert labels == report["tokens"][1:-1]
    view = np.asarray(report["view"])
    np.testing.assert_allclose(view.sum(axis=-1), 1.0, atol=1e-5)
    raw = np.asarray(report["attention"], dtype=np.float64)[1, 3, 1:-1, 1:-1]
    np.testing.assert_allclose(view, raw / raw.sum(axis=-1, keepdims=True), atol=1e-6)


def test_a_word_level_view_of_a_text_with_no_multi_piece_word_equals_the_token_view(capsys, tiny_model_dir):
    text = "france is a country, it is in europe"
    tokens_view = attention_json(capsys, tiny_model_dir, "--layer", "2", text=text)
    words_view = attention_json(capsys, tiny_model_dir, "--layer", "2", "--words", text=text)
    assert words_view["view_labels"] == tokens_view["view_labels"] == tokens_view["tokens"]
    np.testing.assert_allclose(words_view["view"], tokens_view["view"], atol=1e-6)


def test_the_table_shows_the_selected_view(capsys, tiny_model_dir):
    code, out, err = run(capsys, "attention", TEXT, "--model", tiny_model_dir, "--words", "--hide-special",
                         "--aggregate", "max", "--layer", "2")
    assert code == 0, err
    assert "max of heads" in out and "words" in out
    for word in MULTI_PIECE_WORDS:
        assert word in out
    assert "[CLS]" not in out and "##" not in out


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("aggregate", ["mean", "max", "rollout"])
def test_head_with_an_aggregate_is_one_line_and_exit_2(capsys, tiny_model_dir, aggregate):
    code, out, err = run(capsys, "attention", TEXT, "--model", tiny_model_dir,
                         "--layer", "1", "--head", "2", "--aggregate", aggregate, "--json")
    assert_one_line_error(code, out, err, "--head", aggregate)


@pytest.mark.parametrize(
    "options",
    [
        ["--layer", str(TINY_LAYERS + 1)],
        ["--layer", "7", "--aggregate", "max"],
        ["--layer", str(TINY_LAYERS + 1), "--aggregate", "rollout"],
        ["--layer", str(TINY_LAYERS + 1), "--words", "--hide-special"],
        ["--layer", str(TINY_LAYERS + 1), "--head", "1"],
        ["--layer", "0"],
    ],
)
def test_layer_out_of_range_is_one_line_and_exit_2(capsys, tiny_model_dir, options):
    code, out, err = run(capsys, "attention", TEXT, "--model", tiny_model_dir, *options, "--json")
    assert_one_line_error(code, out, err, f"--layer {options[1]}", f"layers 1–{TINY_LAYERS}")


def test_head_out_of_range_is_one_line_and_exit_2(capsys, tiny_model_dir):
    code, out, err = run(capsys, "attention", TEXT, "--model", tiny_model_dir, "--layer", "1",
                         "--head", str(TINY_HEADS + 1), "--json")
    assert_one_line_error(code, out, err, f"--head {TINY_HEADS + 1}", f"heads 1–{TINY_HEADS}")


def test_an_unknown_aggregate_is_rejected_by_argparse(capsys, tiny_model_dir):
    code, out, err = run(capsys, "attention", TEXT, "--model", tiny_model_dir, "--aggregate", "median")
    assert code == 2 and out == ""
    assert "--aggregate" in err and "median" in err and "Traceback" not in err
