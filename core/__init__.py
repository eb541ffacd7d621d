"""wordlens engine: static word vectors and self-attention, computed without any screen.

Importing this package is cheap: torch, transformers and gensim are imported inside the
loader functions, so a UI can paint before any model is loaded.
"""

from wordlens.core.errors import InputError, LoadError, WordlensError

__all__ = ["InputError", "LoadError", "WordlensError"]
