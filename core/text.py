"""Splitting a sentence into words and aligning model tokens to them.

Words are defined by the text, not by a tokenizer, so the static side (one vector per word)
and the contextual side (one vector per subword token) always talk about the same words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wordlens.core.word_forms import Known, Written, vocabulary_words

if TYPE_CHECKING:
    import numpy as np

# A piece is a run of letters/digits or a single other character; core/word_forms.py makes words
# of touching pieces as GloVe's tokenizer did (didn't -> did + n't).
_WORD_PATTERN = re.compile(r"\w+|[^\w\s]")

# The words of a text that are analysed; the rest is cut, as tokens past a model's maximum are.
# 512 = the bundled model's maximum tokens, and a word is at least one token. It bounds the
# static cosine matrix (W x W) and the neighbour search whatever the user pastes.
MAX_WORDS = 512
# Pieces looked at together to make words (core/word_forms.py); a longer run without a space (a
# pasted megabyte of "a,a,a") is cut into runs this long, so its cost stays linear.
LONGEST_RUN = 64


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int
    # the word as written when it was split to be looked up (`didn't` -> did + n't), else None
    part_of: Written | None = None


def split_words(text: str, known: Known | None = None) -> tuple[Word, ...]:
    return split_words_upto(text, limit=None, known=known)[0]


def split_words_upto(text: str, limit: int | None, known: Known | None = None) -> tuple[tuple[Word, ...], bool]:
    """The first `limit` words (all of them for None), and whether the text has more.

    `known`: whether the static vocabulary has a form; the words are then cut as its tokenizer cut
    its training text (core/word_forms.py: `didn't` -> did + n't, `U.S.` whole); None: clitics
    are cut off all the same, nothing is joined.
    Stops reading at the run of pieces after the limit, so a pasted megabyte costs no more than its start."""
    words: list[Word] = []
    for run in _runs(text):
        for (word, start, end), written in vocabulary_words(run, text, known):
            if limit is not None and len(words) == limit:
                return tuple(words), True
            words.append(Word(word, start, end, written))
    return tuple(words), False


def parts_of(words: Sequence[Word], index: int) -> list[str]:
    """The words that the written word of words[index] was split into (just itself when it was not)."""
    written = words[index].part_of
    return [words[index].text] if written is None else [word.text for word in words if word.part_of == written]


def _runs(text: str) -> Iterator[list[tuple[str, int, int]]]:
    """The text's pieces (a run of letters or digits, or one other character, with the combining
    marks that belong to them), grouped into runs of pieces that touch (no space between)."""
    run: list[tuple[str, int, int]] = []
    for match in _WORD_PATTERN.finditer(text):
        piece = (match.group(), match.start(), match.end())
        if run and run[-1][2] == piece[1] and len(run) < LONGEST_RUN:
            if _continues_word(run[-1][0], piece[0]):
                previous = run.pop()
                piece = (previous[0] + piece[0], previous[1], piece[2])
            run.append(piece)
            continue
        if run:
            yield run
        run = [piece]
    if run:
        yield run


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
    import numpy as np

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
