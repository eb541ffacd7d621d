"""Lines that carry a number are never cut: they wrap at spaces (or between whole pieces) instead.

The panes draw with `text-wrap: nowrap` and an ellipsis, so a line longer than its pane would lose
its end, and the end is usually the number. These build the line already broken to the width.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text


def wrapped(line: Text, width: int, indent: int = 2) -> Text:
    """`line` broken at spaces into lines of at most `width` cells, the later ones indented by
    `indent`; a single word longer than the width is left whole (the pane cuts only that)."""
    width = max(8, width)
    plain = line.plain
    breaks: list[int] = []  # offsets of the spaces that end a line
    start, room = 0, width
    last_space = -1
    for offset, character in enumerate(plain):
        if character == " ":
            last_space = offset
        if offset - start >= room and last_space > start:
            breaks.append(last_space)
            start, room = last_space + 1, width - indent
            last_space = -1
    if not breaks:
        return line
    pieces = line.divide([edge for space in breaks for edge in (space, space + 1)])
    out = Text()
    for index, piece in enumerate(pieces):
        if index % 2:  # the space a line was broken at
            out.append("\n" + " " * indent)
        else:
            out.append_text(piece)
    return out


def packed(pieces: Iterable[Text], width: int, separator: str = " · ", style: str = "dim",
           lines: int | None = None, indent: int = 0) -> Text:
    """`pieces` side by side with `separator`, a new line instead wherever the next would not fit;
    with `lines`, the pieces that would need more lines than that are left out (rank them first)."""
    width = max(8, width)
    out = Text()
    length, line_count = 0, 1
    for piece in pieces:
        if length and length + len(separator) + piece.cell_len > width:
            if lines is not None and line_count == lines:
                break
            out.append("\n" + " " * indent)
            length, line_count = indent, line_count + 1
        elif length:
            out.append(separator, style=style)
            length += len(separator)
        out.append_text(piece)
        length += piece.cell_len
    return out
