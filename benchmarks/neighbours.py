"""Neighbours of a whole sentence: wordlens' batched exact search vs a gensim `most_similar` loop.

Both sides run on the same vectors (the bundled GloVe 6B 50d, memory-mapped as the app loads it;
gensim through `StaticVectors.keyed_vectors`, a KeyedVectors over the same arrays and norms) with
the same restrict_vocab (the app's default) and topn. wordlens answers all the words with one
matrix product (StaticVectors.neighbours, exact search); gensim is called once per word, as a user
of gensim would. Every word of SENTENCE is in the vocabulary and none repeats, so wordlens does
the same 20 searches gensim does. One untimed warm-up of each side (paging in the matrix, importing
gensim), then RUNS timed runs of each, alternating; medians in ms.
`identical`: the two give the same words in the same order with the same cosines (to 1e-6).

Prints JSON: {"neighbours": {"wordlens_ms", "gensim_ms", "speedup_vs_gensim", "identical", ...}}.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from wordlens.core.vectors.static_vectors import DEFAULT_RESTRICT_VOCAB, load_bundled_glove

SENTENCE = (
    "the old fisherman walked slowly along a quiet river bank while children played "
    "football near his small wooden house today"
)
TOPN = 10
RUNS = 7


def wordlens_lists(vectors, words: list[str]) -> list[list[tuple[str, float]]]:
    found = vectors.neighbours(words, topn=TOPN, restrict_vocab=DEFAULT_RESTRICT_VOCAB)
    return [[(item.word, item.cosine) for item in entry.items] for entry in found]


def gensim_lists(vectors, words: list[str]) -> list[list[tuple[str, float]]]:
    kv = vectors.keyed_vectors
    return [kv.most_similar(word, topn=TOPN, restrict_vocab=DEFAULT_RESTRICT_VOCAB) for word in words]


def same_lists(a: list[list[tuple[str, float]]], b: list[list[tuple[str, float]]]) -> bool:
    if len(a) != len(b):
        return False
    for row_a, row_b in zip(a, b, strict=True):
        if [word for word, _ in row_a] != [word for word, _ in row_b]:
            return False
        if any(abs(x - y) > 1e-6 for (_, x), (_, y) in zip(row_a, row_b, strict=True)):
            return False
    return True


def timed_ms(function, *args) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args)
    return (time.perf_counter() - started) * 1000, result


def main() -> int:
    words = SENTENCE.split()
    if len(words) != 20 or len(set(words)) != 20:
        sys.exit("neighbours: SENTENCE must hold 20 different words")
    vectors = load_bundled_glove()
    missing = [word for word in words if word not in vectors.row_of]
    if missing:
        sys.exit(f"neighbours: not in the vocabulary: {missing}")
    wordlens_lists(vectors, words)  # warm-up: page in the memory-mapped matrix
    gensim_lists(vectors, words)
    ours, theirs = [], []
    identical = True
    for _ in range(RUNS):
        ms, our_lists = timed_ms(wordlens_lists, vectors, words)
        ours.append(ms)
        ms, their_lists = timed_ms(gensim_lists, vectors, words)
        theirs.append(ms)
        identical = identical and same_lists(our_lists, their_lists)
    wordlens_ms, gensim_ms = statistics.median(ours), statistics.median(theirs)
    print(json.dumps({"neighbours": {
        "wordlens_ms": round(wordlens_ms, 2),
        "gensim_ms": round(gensim_ms, 2),
        "speedup_vs_gensim": round(gensim_ms / wordlens_ms, 2),
        "identical": identical,
        "words": len(words),
        "topn": TOPN,
        "restrict_vocab": DEFAULT_RESTRICT_VOCAB,
        "vectors": vectors.info.name,
        "runs": RUNS,
    }}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
