"""A use as a concordance line: the token centred, its sentence cut to fit on either side."""

from __future__ import annotations

from dataclasses import dataclass

ELLIPSIS = "…"


@dataclass(frozen=True)
class ConcordanceLine:
    left: str
    keyword: str
    right: str

    @property
    def text(self) -> str:
        return self.left + self.keyword + self.right


def concordance_line(sentence: str, start: int, end: int, width: int) -> ConcordanceLine:
    """`sentence` with sentence[start:end] as the keyword, at most `width` characters: the left
    context right-aligned to width // 2 (so keywords line up), the right context after it; a cut
    side gets an ellipsis. A sentence that fits whole is shown whole, its keyword as near the
    middle as that allows. The keyword itself is kept whole unless it alone is wider than `width`."""
    keyword = sentence[start:end]
    if len(keyword) >= width:
        return ConcordanceLine("", keyword[:max(0, width - 1)] + ELLIPSIS if width > 0 else "", "")
    left_room = max(0, (width - len(keyword)) // 2)
    right_room = width - len(keyword) - left_room
    if len(sentence) <= width:
        indent = min(max(0, left_room - start), width - len(sentence))
        return ConcordanceLine(" " * indent + sentence[:start], keyword, sentence[end:])
    left = sentence[:start]
    if len(left) > left_room:
        left = ELLIPSIS + left[len(left) - left_room + 1:] if left_room > 0 else ""
    right = sentence[end:]
    if len(right) > right_room:
        right = right[:right_room - 1] + ELLIPSIS if right_room > 0 else ""
    return ConcordanceLine(left.rjust(left_room), keyword, right)
