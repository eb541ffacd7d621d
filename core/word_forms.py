"""A sentence's words cut as the static vocabulary's own tokenizer cut its training text.

GloVe 6B (Wikipedia 2014 + Gigaword 5) was tokenised with the Stanford tokenizer (PTB rules) before
its vectors were trained, so its vocabulary holds `n't`, `'s`, `ca` (of can't), `u.s.`, `mr.`,
`well-known`, `3.5`, and no `didn't`: looked up as the transformer's pieces (`didn ' t`), a
contraction finds three rare or unrelated entries. The rules, over the text's pieces (a run of
letters or digits, or one other character) that touch each other:

1. pieces joined by a hyphen, period, apostrophe or ampersand (digits also by a comma or colon) are
   one word when the vocabulary has that form: well-known, U.S., o'clock, AT&T, 3.5, 1,000, 'n';
   a period ends such a word (Mr., W., Inc.) only when the text goes on after it and the word is
   capitalised or the next word is not (a sentence's last period stays its own word);
2. a clitic is cut off as that tokenizer cuts it: didn't -> did + n't, can't -> ca + n't,
   John's -> John + 's ('re 've 'll 'd 'm alike), when the vocabulary has the clitic
   (or when there is no vocabulary to ask);
3. every other piece is a word of its own.

A written word (letters joined as in 1) that becomes more than one word is `Written`: the screens
and JSON say it was split to be looked up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# (text, start, end) of a piece or a word
Span = tuple[str, int, int]
Known = Callable[[str], bool]

JOINERS = frozenset("-.'’&")
DIGIT_JOINERS = frozenset(",:")
APOSTROPHES = frozenset("'’")
CLITICS = frozenset({"s", "re", "ve", "ll", "d", "m"})  # after an apostrophe: 's 're 've 'll 'd 'm
LONGEST_JOIN = 9  # pieces: state-of-the-art is 7
_WORDLIKE = re.compile(r"\w")


@dataclass(frozen=True)
class Written:
    """A word as written (`didn't`) that was looked up as several (`did`, `n't`)."""

    text: str
    start: int
    end: int


def split_note(written: str, parts: Sequence[str], vectors_name: str) -> str:
    """What the screens say of a word split to be looked up."""
    return f"'{written}' looked up as {' + '.join(parts)}: {vectors_name} has these, not '{written}'"


def vocabulary_words(pieces: Sequence[Span], text: str, known: Known | None) -> list[tuple[Span, Written | None]]:
    """The words of one run of touching pieces, each with the written word it was split from (or None)."""
    words: list[Span] = []
    i = 0
    while i < len(pieces):
        joined = _longest_known_join(pieces, i, text, known) if known is not None else 0
        if joined:
            words.append(_joined(pieces[i:i + joined]))
            i += joined
            continue
        clitic = _clitic_at(pieces, i, known)
        if clitic:
            words.extend(clitic)
            i += 3
            continue
        words.append(pieces[i])
        i += 1
    return _with_written(words, pieces, text)


def _is_wordlike(piece: Span) -> bool:
    return _WORDLIKE.match(piece[0]) is not None


def _joins(pieces: Sequence[Span], k: int) -> bool:
    """Whether piece k, between two word pieces, joins them into one written word."""
    if not 0 < k < len(pieces) - 1 or not (_is_wordlike(pieces[k - 1]) and _is_wordlike(pieces[k + 1])):
        return False
    mark = pieces[k][0]
    if mark in JOINERS:
        return True
    return mark in DIGIT_JOINERS and pieces[k - 1][0][-1].isdigit() and pieces[k + 1][0][0].isdigit()


def _longest_known_join(pieces: Sequence[Span], i: int, text: str, known: Known) -> int:
    """The most pieces from `i` (at least 2) whose joined form the vocabulary has, 0 for none."""
    first_wordlike = _is_wordlike(pieces[i])
    leading_apostrophe = pieces[i][0] in APOSTROPHES and i + 1 < len(pieces) and _is_wordlike(pieces[i + 1])
    if not (first_wordlike or leading_apostrophe):
        return 0
    # how far the word pieces stay joined: alternating word, joiner, word...
    reach = i + 1 if leading_apostrophe else i
    while reach + 2 < len(pieces) and _joins(pieces, reach + 1):
        reach += 2
    end = reach + 1  # one past the last word piece
    candidates = list(range(min(end, i + LONGEST_JOIN), i + 1, -1))
    tail = pieces[end] if end < len(pieces) and end - i < LONGEST_JOIN else None
    if tail is not None and (tail[0] in APOSTROPHES or (tail[0] == "." and _period_ends_word(pieces, i, end, text))):
        candidates.insert(0, end + 1)
    for stop in candidates:
        if stop - i >= 2 and known(_joined(pieces[i:stop])[0]):
            return stop - i
    return 0


def _period_ends_word(pieces: Sequence[Span], i: int, period: int, text: str) -> bool:
    """Whether the period at `period` belongs to the word pieces[i:period] (Mr., U.S., W.)."""
    if any(piece[0] == "." for piece in pieces[i:period]):  # U.S., e.g., a.m.
        return True
    rest = text[pieces[period][2]:].lstrip()
    if not rest:
        return False  # the text's last period ends a sentence
    return pieces[i][0][:1].isupper() or not rest[0].isupper()


def _clitic_at(pieces: Sequence[Span], i: int, known: Known | None) -> list[Span]:
    """`didn` `'` `t` -> did + n't; `John` `'` `s` -> John + 's (the Stanford tokenizer's cuts), else []."""
    if i + 2 >= len(pieces):
        return []
    stem, mark, rest = pieces[i], pieces[i + 1], pieces[i + 2]
    if not _is_wordlike(stem) or mark[0] not in APOSTROPHES or not _is_wordlike(rest):
        return []
    if i + 3 < len(pieces) and _is_wordlike(pieces[i + 3]):
        return []
    if rest[0].lower() == "t" and stem[0][-1] in "nN":
        clitic = (stem[0][-1] + mark[0] + rest[0], stem[2] - 1, rest[2])
        if known is not None and not known(clitic[0]):
            return []
        before = [(stem[0][:-1], stem[1], stem[2] - 1)] if len(stem[0]) > 1 else []
        return [*before, clitic]
    if rest[0].lower() in CLITICS:
        clitic = (mark[0] + rest[0], mark[1], rest[2])
        if known is not None and not known(clitic[0]):
            return []
        return [stem, clitic]
    return []


def _joined(pieces: Sequence[Span]) -> Span:
    return "".join(piece[0] for piece in pieces), pieces[0][1], pieces[-1][2]


def _with_written(words: list[Span], pieces: Sequence[Span], text: str) -> list[tuple[Span, Written | None]]:
    """Each word with the written word it is a part of, when that written word became several words."""
    written_of: list[Written | None] = [None] * len(words)
    start, first = 0, 0  # the next piece, and the first word that may overlap it
    while start < len(pieces):
        if not _is_wordlike(pieces[start]):
            start += 1
            continue
        end = start
        while end + 2 < len(pieces) and _joins(pieces, end + 1):
            end += 2
        low, high = pieces[start][1], pieces[end][2]
        while words[first][2] <= low:
            first += 1
        last = first
        while last + 1 < len(words) and words[last + 1][1] < high:
            last += 1
        if last > first:
            begin, finish = words[first][1], words[last][2]
            written = Written(text[begin:finish], begin, finish)
            for w in range(first, last + 1):
                written_of[w] = written
        start = end + 1
    return list(zip(words, written_of, strict=True))
