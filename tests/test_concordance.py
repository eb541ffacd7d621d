"""Concordance lines: the keyword at the middle, the sentence cut to the width around it."""

from __future__ import annotations

import pytest

from wordlens.core.uses.concordance import concordance_line

SENTENCE = "He sat on the north bank of the upper Cumberland River that spring."
BANK = SENTENCE.index("bank")


@pytest.mark.parametrize("width", [12, 20, 28, 40])
def test_a_long_sentence_is_cut_around_its_centred_keyword(width):
    line = concordance_line(SENTENCE, BANK, BANK + 4, width)
    assert line.keyword == "bank" and len(line.text) <= width
    assert len(line.left) == (width - 4) // 2  # keywords line up from line to line
    assert line.left.startswith("…") and line.right.endswith("…")
    assert SENTENCE[:BANK].endswith(line.left[1:]) and SENTENCE[BANK + 4:].startswith(line.right[:-1])


def test_a_sentence_that_fits_is_whole_with_its_keyword_near_the_middle():
    text = "A dog is in the cafe."
    line = concordance_line(text, 6, 8, 28)
    assert line.text.strip() == text and len(line.text) <= 28
    assert len(line.left) == (28 - 2) // 2  # room to centre it: centred
    early = concordance_line(text, 0, 1, 28)  # keyword first: as far right as the sentence lets it
    assert early.text == " " * 7 + text


def test_a_keyword_wider_than_the_line_is_cut():
    assert concordance_line("Supercalifragilistic", 0, 20, 8).text == "Superca…"
