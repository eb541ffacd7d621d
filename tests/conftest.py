"""Shared fixtures: a tiny random BERT and hand-made word vectors, plus the real bundled engine.

The tiny models go through the same loading code as real ones (`load_context_model` on a saved
folder, `StaticVectors` over a word list and a matrix as the bundled GloVe is, gensim's
`KeyedVectors` built by it on demand), so unit tests stay fast yet real.
"""

from __future__ import annotations

import os

# Before anything imports huggingface_hub/transformers: nothing in the tests may reach the hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import math
from pathlib import Path

import numpy as np
import pytest

# ---------------------------------------------------------------------------------------------
# The tiny contextual model
# ---------------------------------------------------------------------------------------------

# Word pieces: "walks" -> walk ##s, "quickly" -> quick ##ly, "dogs" -> dog ##s, "walking" -> walk ##ing.
TINY_VOCAB = (
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    + [".", ",", "!", "?", "'", "-", ";", ":"]
    + "france is a country it in europe queen woman dog the bank river money walk quick cafe paris".split()
    + ["##s", "##ing", "##ly"]
)
TINY_LAYERS = 2
TINY_HEADS = 4
TINY_HIDDEN = 32
TINY_MAX_POSITIONS = 64


def tiny_bert_config():
    import transformers

    return transformers.BertConfig(
        vocab_size=len(TINY_VOCAB),
        hidden_size=TINY_HIDDEN,
        num_hidden_layers=TINY_LAYERS,
        num_attention_heads=TINY_HEADS,
        intermediate_size=64,
        max_position_embeddings=TINY_MAX_POSITIONS,
    )


def write_tiny_tokenizer(folder: Path):
    """A fast WordPiece tokenizer over TINY_VOCAB, saved into `folder`; returns it."""
    import transformers

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    # from_pretrained on a folder holding vocab.txt works the same on transformers 4.x and 5.x
    # (5.x's constructor silently ignores a `vocab_file=` argument).
    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(folder))
    assert tokenizer.is_fast and len(tokenizer.get_vocab()) == len(TINY_VOCAB)
    tokenizer.save_pretrained(str(folder))
    return tokenizer


def build_tiny_bert(seed: int = 1234):
    import torch
    import transformers

    torch.manual_seed(seed)
    model = transformers.BertModel(tiny_bert_config())
    return model.eval()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A saved 2-layer, 4-head random BERT (safetensors) with its fast tokenizer."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    write_tiny_tokenizer(folder)
    build_tiny_bert().save_pretrained(str(folder))  # safetensors is the default format
    assert (folder / "model.safetensors").is_file()
    return folder


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from wordlens.core.transformer.context_model import load_context_model

    return load_context_model(tiny_model_dir, device="cpu")


@pytest.fixture(scope="session")
def tiny_model_through_transformers(tiny_model_dir):
    """The same folder loaded by transformers rather than wordlens's own BERT forward pass."""
    from wordlens.core.transformer.context_model import load_context_model

    return load_context_model(tiny_model_dir, device="cpu", runtime="transformers")


@pytest.fixture(params=["auto", "transformers"])
def tiny_model_each_runtime(request, tiny_model, tiny_model_through_transformers):
    return tiny_model if request.param == "auto" else tiny_model_through_transformers


# ---------------------------------------------------------------------------------------------
# The tiny static vectors
# ---------------------------------------------------------------------------------------------

TINY_DIM = 8

# "river" points along the last axis; stream/lake/sea lie at 10, 25 and 45 degrees from it in the
# (last, second to last) plane, and every other word has only a small component in that plane, so
# river's nearest neighbours are stream, lake, sea with cosines cos(10), cos(25), cos(45) degrees.
RIVER_NEIGHBOURS = {"stream": 10.0, "lake": 25.0, "sea": 45.0}  # no two pairs equally far apart


def _tiny_vector_table() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    table: dict[str, np.ndarray] = {}

    def general(base=None, noise=0.05):
        vector = rng.normal(size=TINY_DIM) if base is None else np.asarray(base, dtype=np.float64)
        vector = vector + rng.normal(scale=noise, size=TINY_DIM)
        vector[6:] *= 0.05  # keep away from the river plane
        return vector

    # Frequency order matters (restrict_vocab takes the first N words), so the table is ordered.
    for word in ["the", "a", "is", "it", "in", ","]:
        table[word] = general()
    table["woman"] = general([1.0, 0.9, 0.1, 0.0, 0.0, 0.0, 0, 0])
    table["queen"] = general([1.0, 1.0, 0.0, 0.1, 0.0, 0.0, 0, 0])
    table["king"] = general([0.1, 1.0, 0.0, 0.2, 0.0, 0.3, 0, 0])
    table["dog"] = general([0.0, -0.2, 0.0, 0.0, 1.0, 0.1, 0, 0])
    table["river"] = np.array([0, 0, 0, 0, 0, 0, 0.0, 1.0]) * 2.5
    for word in ["stream", "lake"]:
        angle = math.radians(RIVER_NEIGHBOURS[word])
        table[word] = np.array([0, 0, 0, 0, 0, 0, math.sin(angle), math.cos(angle)]) * (1.0 + len(table) / 10)
    for word in ["france", "country", "europe", "money", "bank", "cat", "man", "Apple", "apple", ".", "paris"]:
        table[word] = general()
    angle = math.radians(RIVER_NEIGHBOURS["sea"])
    table["sea"] = np.array([0, 0, 0, 0, 0, 0, math.sin(angle), math.cos(angle)]) * 0.7  # rank 24
    for word in ["walk", "quick", "café", "東京", "naïve"]:
        table[word] = general()
    assert len(table) == 30
    return table


TINY_VECTORS = _tiny_vector_table()
TINY_WORDS = list(TINY_VECTORS)


def tiny_matrix() -> np.ndarray:
    return np.array([TINY_VECTORS[w] for w in TINY_WORDS], dtype=np.float32)


def make_tiny_keyed_vectors():
    from gensim.models import KeyedVectors

    keyed_vectors = KeyedVectors(vector_size=TINY_DIM)
    keyed_vectors.add_vectors(TINY_WORDS, tiny_matrix())
    return keyed_vectors


@pytest.fixture(scope="session")
def tiny_keyed_vectors():
    """A reference gensim KeyedVectors, separate from the one StaticVectors builds."""
    return make_tiny_keyed_vectors()


@pytest.fixture(scope="session")
def tiny_vectors():
    """The hand-made vectors as the app holds the bundled GloVe: words and a matrix, gensim's
    KeyedVectors built only when a query needs gensim (every comparison with gensim goes through it)."""
    from wordlens.core.vectors.static_vectors import StaticVectors

    return StaticVectors(list(TINY_WORDS), tiny_matrix(), name="tiny")


# ---------------------------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def tiny_engine(tiny_vectors, tiny_model):
    from wordlens.core.engine import Engine

    return Engine.from_loaded(tiny_vectors, tiny_model)


@pytest.fixture(scope="session")
def bundled_engine():
    """The bundled GloVe 6B 50d and all-MiniLM-L6-v2, both loaded (for @pytest.mark.real_models)."""
    from wordlens.core.engine import Engine, Sources

    engine = Engine.from_sources(Sources())
    engine.load_vectors()
    engine.load_model()
    return engine


@pytest.fixture(scope="session")
def reference_glove():
    """GloVe read straight from the package files into a fresh gensim KeyedVectors: the
    reference the real-model tests compare wordlens's answers with."""
    import pyarrow.parquet as parquet
    from gensim.models import KeyedVectors

    from wordlens.core.sources import bundled_glove_files

    matrix_path, words_path = bundled_glove_files()
    words = parquet.read_table(words_path).column(0).to_pylist()
    matrix = np.load(matrix_path)
    keyed_vectors = KeyedVectors(vector_size=matrix.shape[1])
    keyed_vectors.add_vectors(words, matrix)
    return keyed_vectors


@pytest.fixture(scope="module")
def vectors_file(tmp_path_factory) -> Path:
    """(CLI tests) the hand-made vectors, saved as a word2vec binary file (exact float32 round trip)."""
    path = tmp_path_factory.mktemp("vectors") / "tiny.bin"
    make_tiny_keyed_vectors().save_word2vec_format(str(path), binary=True)
    return path


@pytest.fixture(scope="module")
def reference_kv(vectors_file):
    """gensim reading the same file on its own: the reference answers."""
    from gensim.models import KeyedVectors

    return KeyedVectors.load_word2vec_format(str(vectors_file), binary=True)


# ---------------------------------------------------------------------------------------------
# The real terminal (tmux) for the e2e tests
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def terminal():
    """The installed wordlens in a tmux window (test_e2e_tmux.Terminal), shared by every e2e module."""
    import shutil

    from test_e2e_tmux import Terminal, _wordlens_command

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    wordlens = _wordlens_command()
    if wordlens is None:
        pytest.skip("the wordlens command is not installed")
    term = Terminal(wordlens)
    try:
        yield term
    finally:
        term.kill()


# ---------------------------------------------------------------------------------------------
# The tiny decoder: a random Llama (grouped-query attention, rotary positions, tied embeddings)
# with a byte-level BPE tokenizer, as SmolLM2 is
# ---------------------------------------------------------------------------------------------

LLAMA_LAYERS, LLAMA_HEADS, LLAMA_KV_HEADS, LLAMA_HIDDEN = 2, 4, 2, 32
LLAMA_CORPUS = [
    "the capital of france is paris.",
    "the queen walks quickly by the river bank.",
    "the dog walks to the bank and the woman walks to paris.",
    "wordlens warms the model up with a short sentence.",
]


def write_byte_level_tokenizer(folder: Path, corpus: list[str], vocab_size: int = 420):
    """A byte-level BPE (GPT-2's scheme, as SmolLM2's), as a fast tokenizer with offsets, saved in `folder`."""
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus * 4, trainer)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        model_max_length=64,
    )
    fast.save_pretrained(str(folder))
    return fast


def build_tiny_llama(vocab_size: int, seed: int = 4321, tied: bool = True):
    import torch
    import transformers

    config = transformers.LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=LLAMA_HIDDEN,
        intermediate_size=48,
        num_hidden_layers=LLAMA_LAYERS,
        num_attention_heads=LLAMA_HEADS,
        num_key_value_heads=LLAMA_KV_HEADS,
        max_position_embeddings=64,
        tie_word_embeddings=tied,
        rms_norm_eps=1e-5,
    )
    torch.manual_seed(seed)
    model = transformers.LlamaForCausalLM(config)
    with torch.no_grad():  # norms away from 1, so a missing or doubled norm shows
        for name, parameter in model.named_parameters():
            if "norm" in name:
                parameter.uniform_(0.5, 1.5)
    return model.eval()


def save_tiny_llama(folder: Path, tied: bool = True) -> Path:
    tokenizer = write_byte_level_tokenizer(folder, LLAMA_CORPUS)
    build_tiny_llama(len(tokenizer), tied=tied).save_pretrained(str(folder))
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    return folder


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory) -> Path:
    """A saved 2-layer random Llama (4 query heads over 2 key/value heads) with its byte-level tokenizer."""
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_llama(tiny_llama_dir):
    from wordlens.core.transformer.context_model import load_context_model

    return load_context_model(tiny_llama_dir, device="cpu")
