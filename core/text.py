"""Splitting a sentence into words and aligning model tokens to them.

Words are defined by the text, not by a tokenizer, so the static side (one vector per word)
and the contextual side (one vector per subword token) always talk about the same words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

# A word is a run of letters/digits (with inner apostrophes kept apart, as BERT-style
# tokenizers and GloVe's own tokenisation both split them), or a single punctuation mark.
_WORD_PATTERN = re.compile(r"\w+|[^\w\s]")

# The words of a text that are analysed; the rest is cut, as tokens past a model's maximum are.
# 512 = the bundled model's maximum tokens, and a word is at least one token. It bounds the
# static cosine matrix (W x W) and the neighbour search whatever the user pastes.
MAX_WORDS = 512


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int


def split_words(text: str) -> tuple[Word, ...]:
    return split_words_upto(text, limit=None)[0]


def split_words_upto(text: str, limit: int | None) -> tuple[tuple[Word, ...], bool]:
    """The first `limit` words (all of them for None), and whether the text has more.

    Stops reading at the word after the limit, so a pasted megabyte costs no more than its start."""
    words: list[Word] = []
    for match in _WORD_PATTERN.finditer(text):
        piece = Word(match.group(), match.start(), match.end())
        if words and words[-1].end == piece.start and _continues_word(words[-1].text, piece.text):
            previous = words.pop()
            piece = Word(previous.text + piece.text, previous.start, piece.end)
        elif limit is not None and len(words) == limit:
            return tuple(words), True  # `piece` starts a word past the limit
        words.append(piece)
    return tuple(words), False


# C0 and C1 control characters and DEL: a terminal obeys them (ESC starts a command), so the
# sentence never holds them. Unpaired surrogates come from command-line bytes that are not UTF-8.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """The text with control characters (tabs, newlines, escapes) as spaces and unpaired
    surrogates as U+FFFD; the length is kept, so character offsets stay valid."""
    return replace_lone_surrogates(_CONTROL.sub(" ", text))


def replace_lone_surrogates(text: str) -> str:
    """`text` with each unpaired surrogate as U+FFFD: UTF-8 (and Rust tokenizers) refuse them."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def _continues_word(before: str, piece: str) -> bool:
    """Combining marks (accents typed separately, Indic vowel signs) are not `\\w` in Python's
    `re`, yet belong to the letters they touch: "café" with a combining accent is one word."""
    if _is_mark(piece[0]):
        return not before[-1].isspace()
    return _is_mark(before[-1]) and (before[0].isalnum() or _is_mark(before[0])) and piece[0].isalnum()


def _is_mark(character: str) -> bool:
    return unicodedata.category(character).startswith("M")


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
