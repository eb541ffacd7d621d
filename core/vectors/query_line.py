"""The TUI's query line: one line of text -> a static-vector query and its scored answer.

    sim queen woman dog        cosine of the first word to each of the others
    man:king::woman:?          analogy, 3CosAdd ("analogy man king woman [mul]" also works)
    odd breakfast lunch cat    the odd one out (gensim doesnt_match), with each word's fit
    near queen                 nearest neighbours of one word

Every answer comes from the same functions as the CLI commands, so both agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from wordlens.core.errors import InputError
from wordlens.core.vectors.queries import AnalogyMethod, Scored, analogy, odd_one_out
from wordlens.core.vectors.static_vectors import StaticVectors, not_in_vocab_message

USAGE = (
    "sim A B [C…]  ·  A:B::C:?  or  analogy A B C [add|mul]  ·  odd W W W…  ·  near W"
)
ANALOGY_SHORTHAND = re.compile(r"^\s*(\S+)\s*:\s*(\S+)\s*::\s*(\S+)\s*:\s*\?\s*(add|mul)?\s*$")
TOPN = 10


@dataclass(frozen=True)
class QueryAnswer:
    title: str  # the query as understood, e.g. "man : king :: woman : ?   3CosAdd"
    items: tuple[Scored, ...]
    highlight: str | None = None  # the word that answers the question, if one does
    explanation: str = ""  # how to read the scores
    unknown: str = ""  # which of the query's words were left out, and why (sim answers for the rest)


def answer_query(line: str, vectors: StaticVectors, topn: int = TOPN) -> QueryAnswer:
    """Parse and answer one query line; InputError (with the usage) for anything unclear."""
    shorthand = ANALOGY_SHORTHAND.match(line)
    if shorthand:
        a, b, c, method_name = shorthand.groups()  # the pattern allows only add, mul or nothing
        return _analogy(vectors, a, b, c, "mul" if method_name == "mul" else "add", topn)
    parts = line.split()
    if not parts:
        raise InputError(f"type a query: {USAGE}")
    command, words = parts[0].lower(), parts[1:]
    if command in ("sim", "similarity", "cos", "cosine"):
        return _similarity(vectors, words)
    if command == "analogy":
        method: AnalogyMethod = "add"
        if len(words) == 4 and words[3].lower() in ("add", "mul"):
            words, method = words[:3], "mul" if words[3].lower() == "mul" else "add"
        if len(words) != 3:
            raise InputError("analogy needs three words: analogy A B C  (A is to B as C is to ?)")
        a, b, c = words
        return _analogy(vectors, a, b, c, method, topn)
    if command in ("odd", "odd-one-out", "doesnt_match"):
        return _odd_one_out(vectors, words)
    if command in ("near", "neighbours", "neighbors", "nn"):
        return _near(vectors, words, topn)
    raise InputError(f"unknown query '{parts[0]}': {USAGE}")


def _require_known(vectors: StaticVectors, words: list[str]) -> list[str]:
    missing = [word for word in words if vectors.key_for(word) is None]
    if missing:
        raise InputError(not_in_vocab_message(missing, vectors.info.name))
    return [key for word in words if (key := vectors.key_for(word)) is not None]  # all: none is missing


def _similarity(vectors: StaticVectors, words: list[str]) -> QueryAnswer:
    if len(words) < 2:
        raise InputError("sim needs at least two words: sim queen woman dog")
    first = words[0]
    _require_known(vectors, [first])
    others = [word for word in words[1:] if vectors.key_for(word) is not None]
    missing = [word for word in words[1:] if vectors.key_for(word) is None]
    if not others:
        raise InputError(not_in_vocab_message(missing, vectors.info.name) + f": nothing to compare {first} with")
    items = tuple(Scored(other, vectors.similarity(first, other)) for other in others)
    return QueryAnswer(
        title=f"cosine of {first} to each word",
        items=tuple(sorted(items, key=lambda item: -item.score)),
        explanation="static cosine: the same in every sentence",
        unknown=not_in_vocab_message(missing, vectors.info.name) + ": left out" if missing else "",
    )


def _analogy(vectors: StaticVectors, a: str, b: str, c: str, method: AnalogyMethod, topn: int) -> QueryAnswer:
    items = tuple(analogy(vectors, a, b, c, method=method, topn=topn))
    name = "3CosAdd" if method == "add" else "3CosMul"
    return QueryAnswer(
        title=f"{a} : {b} :: {c} : ?   {name}",
        items=items,
        highlight=items[0].word if items else None,
        explanation="query words excluded, as gensim does",
    )


def _odd_one_out(vectors: StaticVectors, words: list[str]) -> QueryAnswer:
    odd = odd_one_out(vectors, words)
    keys = _require_known(vectors, words)
    keyed_vectors = vectors.keyed_vectors
    mean = keyed_vectors.get_mean_vector(keys, pre_normalize=True, post_normalize=True)
    fits = [float(np.dot(keyed_vectors.get_vector(key, norm=True), mean)) for key in keys]
    scored = (Scored(word, fit) for word, fit in zip(words, fits, strict=True))
    items = tuple(sorted(scored, key=lambda item: item.score))
    return QueryAnswer(
        title=f"which word does not fit: {' '.join(words)}",
        items=items,
        highlight=odd,
        explanation="cosine of each word to the mean of all: the lowest is the odd one",
    )


def _near(vectors: StaticVectors, words: list[str], topn: int) -> QueryAnswer:
    if len(words) != 1:
        raise InputError("near takes one word: near queen")
    _require_known(vectors, words)
    found = vectors.neighbours(words, topn=topn)[0]
    return QueryAnswer(
        title=f"nearest words to {words[0]}",
        items=tuple(Scored(item.word, item.cosine) for item in found.items),
        explanation="static cosine over the most frequent words",
    )
