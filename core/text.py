"""Splitting a sentence into words and aligning model tokens to them.

Words are defined by the text, not by a tokenizer, so the static side (one vector per word)
and the contextual side (one vector per subword token) always talk about the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# A word is a run of letters/digits (with inner apostrophes kept apart, as BERT-style
# tokenizers and GloVe's own tokenisation both split them), or a single punctuation mark.
_WORD_PATTERN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int


def split_words(text: str) -> tuple[Word, ...]:
    return tuple(Word(m.group(), m.start(), m.end()) for m in _WORD_PATTERN.finditer(text))


def align_tokens_to_words(
    offsets: np.ndarray, special: np.ndarray, words: tuple[Word, ...]
) -> np.ndarray:
    """For each token, the index of the word its character span falls in, or -1.

    Special tokens and tokens whose span covers no word (e.g. a lone space marker) get -1.
    """
    token_word = np.full(len(offsets), -1, dtype=np.int64)
    if not words:
        return token_word
    starts = np.array([w.start for w in words])
    ends = np.array([w.end for w in words])
    for t, (begin, end) in enumerate(offsets):
        if special[t] or end <= begin:
            continue
        overlap = np.minimum(ends, end) - np.maximum(starts, begin)
        best = int(np.argmax(overlap))
        if overlap[best] > 0:
            token_word[t] = best
    return token_word
