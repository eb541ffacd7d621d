"""The floor of "both models loaded": a bare script importing torch and reading the files wordlens
loads for its defaults (GloVe's matrix and word list, the tokenizer, the safetensors weights), with
nothing else: no Textual, no Python objects per word (of wordlens only `core.sources`, which finds
the files). benchmarks/startup.py times it from the spawn to its exit, interleaved with wordlens's
launches. Prints the megabytes it read."""

import sys

import numpy as np
import torch  # noqa: F401  (its import is part of the floor: wordlens's forward pass needs it)


def main() -> int:
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    from wordlens.core.sources import bundled_glove_files, bundled_model_folder  # importlib only, no models

    matrix_path, words_path = bundled_glove_files()
    matrix = np.load(matrix_path)  # read whole: wordlens's norms read every row
    words = words_path.read_bytes()  # the word list's bytes, not a Python string per word
    folder = bundled_model_folder()
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    weights = {name: tensor for path in sorted(folder.glob("*.safetensors"))
               for name, tensor in load_file(path).items()}
    read = matrix.nbytes + len(words) + sum(tensor.numel() * tensor.element_size() for tensor in weights.values())
    print(f"floor_load: {read / 2**20:.1f} MB, vocabulary of {tokenizer.get_vocab_size()} tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
