"""A tokenized text, and a `tokenizers.Tokenizer` (the Rust library) giving one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class TokenizedText:
    ids: list[int]
    type_ids: list[int]
    tokens: list[str]
    offsets: np.ndarray  # (T, 2) character span of each token in the text
    special: np.ndarray  # (T,) bool, True for [CLS], [SEP]...


class RustTokenizer:
    """A `tokenizers.Tokenizer` behind the interface `ContextModel` uses. Not safe to call from two
    threads at once (it changes its truncation setting): `ContextModel` holds a lock around it."""

    def __init__(self, tokenizer: Any, model_max_length: int) -> None:
        self._tokenizer = tokenizer
        self._limit: int | None = None
        self.model_max_length = model_max_length
        self.byte_level = is_byte_level(tokenizer)

    def encode(self, text: str, limit: int) -> TokenizedText:
        import numpy as np

        if limit != self._limit:
            self._tokenizer.enable_truncation(max_length=limit)
            self._limit = limit
        encoded = self._tokenizer.encode(text)
        return TokenizedText(
            ids=list(encoded.ids),
            type_ids=list(encoded.type_ids),
            tokens=list(encoded.tokens),
            offsets=np.array(encoded.offsets, dtype=np.int64).reshape(-1, 2),
            special=np.array(encoded.special_tokens_mask, dtype=bool),
        )

    def token_id(self, token: str) -> int | None:
        return self._tokenizer.token_to_id(token)

    def tokens(self, ids: list[int]) -> list[str]:
        return [self._tokenizer.id_to_token(index) for index in ids]

    def vocabulary(self) -> dict[str, int]:
        return self._tokenizer.get_vocab()


def is_byte_level(tokenizer: Any) -> bool:
    """Whether a `tokenizers.Tokenizer` writes its tokens in GPT-2's byte alphabet (`Ġ` for a space)."""
    decoder = getattr(tokenizer, "decoder", None)
    return decoder is not None and "ByteLevel" in repr(decoder)


@cache
def _byte_of_character() -> dict[str, int]:
    """GPT-2's byte alphabet, inverted: printable bytes stand for themselves, the others (space,
    newline, control bytes) were moved to characters from U+0100 on."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    characters = list(printable)
    shifted = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            characters.append(256 + shifted)
            shifted += 1
    return {chr(character): byte for byte, character in zip(printable, characters, strict=True)}


def byte_level_text(token: str) -> str:
    """The text a byte-level token stands for (`Ġcapital` -> ' capital', `Ċ` -> a newline); characters
    outside the byte alphabet (special tokens) are kept; a piece of a character becomes U+FFFD."""
    table = _byte_of_character()
    if not all(character in table for character in token):
        return token
    return bytes(table[character] for character in token).decode("utf-8", errors="replace")


VISIBLE_CHARACTERS = {" ": "␣", "\n": "↵", "\r": "↵", "\t": "⇥"}
OTHER_SPACE = "⍽"  # a no-break space, an ideographic space...: blank too, yet not a plain space
UNPRINTABLE = "⍰"  # a control or format character (a byte token such as 0x01), which would show as nothing


def readable_label(text: str) -> str:
    """A token's text for a one-line label: spaces as ␣, line breaks as ↵, tabs as ⇥, any other
    blank character as ⍽, other characters that print as nothing as ⍰."""
    return "".join(_visible(character) for character in text)


def _visible(character: str) -> str:
    if character in VISIBLE_CHARACTERS:
        return VISIBLE_CHARACTERS[character]
    if character.isspace():
        return OTHER_SPACE
    return character if character.isprintable() else UNPRINTABLE
