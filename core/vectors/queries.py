"""Static queries beyond neighbours: analogies, the odd one out, and the standard benchmarks.

Single queries call gensim itself, so their answers are gensim's by construction. The analogy
benchmark reproduces gensim's `evaluate_word_analogies` (3CosAdd, case-insensitive, the same
restrict_vocab and tie rules) with one matrix product per batch of questions instead of one
vocabulary scan per question.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from wordlens.core.errors import InputError
from wordlens.core.vectors.static_vectors import StaticVectors, not_in_vocab_message
from wordlens.core.vectors.topk import top_k_rows

if TYPE_CHECKING:
    import numpy as np

AnalogyMethod = Literal["add", "mul"]
# gensim's own default for evaluate_word_analogies and evaluate_word_pairs.
EVALUATION_RESTRICT_VOCAB = 300_000


def _keys(vectors: StaticVectors, words: Sequence[str]) -> list[str]:
    keys = [vectors.key_for(word) for word in words]
    missing = [word for word, key in zip(words, keys, strict=True) if key is None]
    if missing:
        raise InputError(not_in_vocab_message(missing, vectors.info.name))
    return [key for key in keys if key is not None]  # all of them: none is missing


def _terms(vectors: StaticVectors, words: Sequence[str]) -> list[str | np.ndarray]:
    """Each word's key, or (fastText, out of vocabulary) its unit vector from subwords, as gensim's
    most_similar takes either; an InputError naming the words with neither."""
    import numpy as np

    missing = [word for word in words if not vectors.has_vector(word)]
    if missing:
        raise InputError(not_in_vocab_message(missing, vectors.info.name))
    terms: list[str | np.ndarray] = []
    for word in words:
        key = vectors.key_for(word)
        if key is not None:
            terms.append(key)
        else:
            vector = vectors.vector(word)
            terms.append((vector / np.linalg.norm(vector)).astype(np.float32))
    return terms


@dataclass(frozen=True)
class Scored:
    word: str
    score: float


def analogy(
    vectors: StaticVectors, a: str, b: str, c: str, method: AnalogyMethod = "add", topn: int = 10
) -> list[Scored]:
    """"a is to b as c is to ?" (man king woman -> queen); the query words are excluded, as gensim does.

    add: 3CosAdd, most_similar(positive=[b, c], negative=[a]); mul: 3CosMul (Levy & Goldberg 2014).
    """
    key_a, key_b, key_c = _terms(vectors, [a, b, c])
    if method == "add":
        found = vectors.keyed_vectors.most_similar(positive=[key_b, key_c], negative=[key_a], topn=topn)
    elif method == "mul":
        found = vectors.keyed_vectors.most_similar_cosmul(positive=[key_b, key_c], negative=[key_a], topn=topn)
    else:
        raise InputError(f"unknown analogy method {method!r}: use add (3CosAdd) or mul (3CosMul)")
    return [Scored(word, float(score)) for word, score in found]


def odd_one_out(vectors: StaticVectors, words: Sequence[str]) -> str:
    """The word furthest from the mean of the others (gensim's doesnt_match)."""
    if len(words) < 3:
        raise InputError("odd-one-out needs at least three words")
    keys = _keys(vectors, words)
    odd_key = vectors.keyed_vectors.doesnt_match(keys)
    return words[keys.index(odd_key)]


# ---- benchmarks ------------------------------------------------------------------------------


def gensim_test_file(name: str) -> Path:
    """A benchmark file gensim ships (questions-words.txt, wordsim353.tsv, simlex999.txt)."""
    spec = importlib.util.find_spec("gensim")
    if spec is None or spec.submodule_search_locations is None:
        raise InputError(f"gensim is not installed, so its benchmark file {name} is not either")
    path = Path(next(iter(spec.submodule_search_locations))) / "test" / "test_data" / name
    if not path.is_file():
        raise InputError(f"gensim's benchmark file {name} is missing from its installation")
    return path


@dataclass
class AnalogySection:
    name: str
    correct: int = 0
    incorrect: int = 0

    @property
    def accuracy(self) -> float:
        total = self.correct + self.incorrect
        return self.correct / total if total else 0.0


@dataclass
class AnalogyScore:
    accuracy: float
    correct: int
    incorrect: int
    oov: int  # questions skipped because a word is outside the restricted vocabulary
    restrict_vocab: int
    sections: list[AnalogySection] = field(default_factory=list)


def _case_insensitive_vocab(vectors: StaticVectors, restrict_vocab: int) -> dict[str, int]:
    """Upper-cased key -> index among the first `restrict_vocab` words; the most frequent wins."""
    keys = vectors.words[:restrict_vocab]
    return {key.upper(): index for index, key in reversed(list(enumerate(keys)))}


def evaluate_analogies(
    vectors: StaticVectors, path: str | Path | None = None, restrict_vocab: int = EVALUATION_RESTRICT_VOCAB,
    batch: int = 256,
) -> AnalogyScore:
    """Accuracy on an analogy file (default: gensim's questions-words.txt), as gensim computes it."""
    import numpy as np

    path = Path(path) if path is not None else gensim_test_file("questions-words.txt")
    restrict = vectors.effective_restrict_vocab(restrict_vocab)
    vocab = _case_insensitive_vocab(vectors, restrict)
    sections: list[AnalogySection] = []
    questions: list[tuple[int, int, int, int, int]] = []  # section, a, b, c, expected (indices)
    question_words: list[tuple[str, str, str, str]] = []
    oov = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(": "):
            sections.append(AnalogySection(line.lstrip(": ").strip()))
            continue
        parts = [word.upper() for word in line.split()]
        if len(parts) != 4 or not sections:
            continue
        if any(word not in vocab for word in parts):
            oov += 1
            continue
        a, b, c, expected = parts
        questions.append((len(sections) - 1, vocab[a], vocab[b], vocab[c], vocab[expected]))
        question_words.append((a, b, c, expected))

    table = np.asarray(questions, dtype=np.int64).reshape(-1, 5)
    matrix = np.asarray(vectors.matrix[:restrict])
    norms = np.asarray(vectors.norms[:restrict])
    units = matrix / norms[:, None]
    for start in range(0, len(table), batch):
        chunk = table[start : start + batch]
        # gensim: mean of the unit vectors weighted +1 (b, c) and -1 (a), divided by 3, made unit length
        means = (units[chunk[:, 2]] + units[chunk[:, 3]] - units[chunk[:, 1]]) / 3.0
        means = (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)
        scores = means @ matrix.T  # (questions, restrict)
        scores /= norms
        best = top_k_rows(scores, 8)  # gensim ranks topn + the 3 query words
        for row, question in enumerate(chunk):
            words = question_words[start + row]
            predicted = _gensim_prediction(scores[row], best[row], question[1:4], words[:3], vectors.words, vocab)
            section = sections[question[0]]
            if predicted == words[3]:
                section.correct += 1
            else:
                section.incorrect += 1
    correct = sum(section.correct for section in sections)
    incorrect = sum(section.incorrect for section in sections)
    return AnalogyScore(
        accuracy=correct / (correct + incorrect) if correct + incorrect else 0.0,
        correct=correct, incorrect=incorrect, oov=oov, restrict_vocab=restrict, sections=sections,
    )


def _gensim_prediction(
    scores: np.ndarray, candidates: np.ndarray, query: np.ndarray, query_words: tuple[str, ...],
    index_to_key: Sequence[str], vocab: dict[str, int],
) -> str | None:
    """gensim's rule: the top 5 after dropping the query words' indices; the first of those
    whose upper-cased word is in the vocabulary and is not a query word (else the last one)."""
    top = [index for index in candidates if index not in query][:5]
    predicted = None
    for index in top:
        predicted = index_to_key[index].upper()
        if predicted in vocab and predicted not in query_words:
            break
    return predicted


@dataclass(frozen=True)
class PairScore:
    pearson: float
    spearman: float
    oov_ratio: float  # percent of pairs with a word outside the restricted vocabulary
    pairs: int


def evaluate_pairs(
    vectors: StaticVectors, path: str | Path, restrict_vocab: int = EVALUATION_RESTRICT_VOCAB
) -> PairScore:
    """Correlation of cosines with human similarity judgements: gensim's evaluate_word_pairs."""
    import logging

    logging.getLogger("gensim").setLevel(logging.ERROR)
    restrict = vectors.effective_restrict_vocab(restrict_vocab)
    try:
        pearson, spearman, oov_ratio = vectors.keyed_vectors.evaluate_word_pairs(str(path), restrict_vocab=restrict)
    except ValueError as error:  # gensim/scipy: no (or too few) pairs with both words known
        raise InputError(
            f"{Path(path).name}: too few word pairs are in the {restrict:,} most frequent words of "
            f"{vectors.info.name} to score ({error})"
        ) from error
    lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return PairScore(float(pearson[0]), float(spearman[0]), float(oov_ratio), len(lines))
