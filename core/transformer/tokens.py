"""A tokenized text, and a `tokenizers.Tokenizer` (the Rust library) giving one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

    def encode(self, text: str, limit: int) -> TokenizedText:
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
