"""Every figure README.md quotes from the tool is the tool's output: each README passage below is
written with its figures left out ({}), the figures are computed by the command the README names,
and the passage with them filled in must be in the README. A number edited by hand there (or a
passage reworded) fails this test; a figure that changes with the code fails it until the README
is regenerated from it. (Timings in the Performance table are measurements, from benchmarks/.)"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from wordlens.core.layer_names import head_long_name, head_name
from wordlens.tui.cli.main import main

pytestmark = pytest.mark.real_models

README = Path(__file__).resolve().parent.parent / "README.md"
IT_FRANCE = "France is a country, it is in Europe"
IT, FRANCE, COUNTRY = 6, 1, 4  # [CLS] france is a country , it is in europe [SEP]
BANKS = ("I sat on the bank of the river", "I deposited my money at the bank")  # assets/demos/bank-compare.tape


@cache
def tool(*args: str) -> dict:
    """The JSON a `wordlens ... --json` command prints (each command run once per session)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*args, "--json"])
    assert code == 0, f"wordlens {' '.join(args)} exited with {code}"
    return json.loads(out.getvalue())


def best_head() -> tuple[int, int]:
    """The head where `it` attends most to `france` (what `b` jumps to), as 0-based indices."""
    attention = np.asarray(tool("attention", IT_FRANCE)["attention"])[:, :, IT, FRANCE]
    layer, head = np.unravel_index(attention.argmax(), attention.shape)
    return int(layer), int(head)


def it_france_weight() -> float:
    layer, head = best_head()
    return tool("attention", IT_FRANCE)["attention"][layer][head][IT][FRANCE]


def mechanism(*extra: str) -> dict:
    layer, head = best_head()
    return tool("mechanism", IT_FRANCE, "--layer", str(layer + 1), "--head", str(head + 1), "--from", "it",
                "--to", "france", *extra)


def after_switching_off(field: str) -> dict:
    """`it` -> `france` at L5 H5 (the tape's `] . . .` from the best head) with the best head off or on."""
    layer, head = best_head()
    off = ("--ablate", f"{layer + 1}:{head + 1}") if field == "off" else ()
    return tool("mechanism", IT_FRANCE, "--layer", str(layer + 2), "--head", str(head + 4), "--from", "it",
                "--to", "france", *off)


def bank_layers() -> list[float]:
    return tool("compare", *BANKS, "--word", "bank")["layers"]


RIVER_BANK, CHEQUE_BANK = "I sat on the river bank", "She paid the cheque in at the bank"  # bank-uses.tape


def bank_uses(text: str) -> list[dict]:
    bundled_uses_index()  # the index first (built once if it is not cached), so `uses` only reads it
    return tool("uses", text, "--word", "bank")["uses"]


@cache
def bundled_uses_index():
    """The uses index of the bundled corpus (the cached one, else built: minutes, once)."""
    from wordlens.core.transformer.context_model import load_context_model
    from wordlens.core.uses.corpus import bundled_corpus
    from wordlens.core.uses.uses_index import load_or_build

    return load_or_build(load_context_model(device="cpu"), bundled_corpus())


def lesson_numbers(step: int) -> dict:
    return tool("lesson")["steps"][step]["numbers"]


def lesson_head(step: int) -> tuple[int, int]:
    found = tool("lesson")["steps"][step]
    return found["layer"], found["head"]


@dataclass(frozen=True)
class Passage:
    text: str  # as in the README, each figure a {} with its format
    figures: Callable[[], tuple]


PASSAGES = [
    Passage("yet {} of all-MiniLM-L6-v2 sends {:.2f} of `it`'s attention to `france`.",
            lambda: (head_long_name(*best_head()), it_france_weight())),
    Passage('yet {} sends {:.2f} of its attention to "france"', lambda: (head_name(*best_head()), it_france_weight())),
    Passage("the bundled GloVe 6B 50d ({:,} words) and all-MiniLM-L6-v2 ({} layers × {} heads)",
            lambda: (tool("similarity", "queen", "woman")["vectors"]["size"],
                     tool("attention", IT_FRANCE)["model"]["layers"], tool("attention", IT_FRANCE)["model"]["heads"])),
    Passage("and at a bank: {:.3f} at the embeddings, {:.3f} after layer {}); below",
            lambda: (bank_layers()[0], bank_layers()[-1], len(bank_layers()) - 1)),
    Passage("GloVe puts `queen` nearer `woman` ({:.2f}) than `dog` ({:.2f}), in every sentence",
            lambda: (tool("similarity", "queen", "woman")["cosine"], tool("similarity", "queen", "dog")["cosine"])),
    Passage("# static cosine: queen/woman {:.2f}, queen/dog {:.2f}",
            lambda: (tool("similarity", "queen", "woman")["cosine"], tool("similarity", "queen", "dog")["cosine"])),
    Passage("![it attends to France at {}]", lambda: (head_name(*best_head()),)),
    Passage("in this sentence one head sends {:.2f} of its attention to `France`.", lambda: (it_france_weight(),)),
    Passage("at {} the query of `it` times the key of `france`, summed over {} dimensions ({:+.2f}) and scaled by "
            "1/√{}, gives the logit {:+.2f}; the softmax over the row turns it into {:.3f} (`country`, {:+.2f}, takes "
            "{:.3f}), while the GloVe cosine of the two words is {:.3f}.",
            lambda: (head_long_name(*best_head()), len(mechanism()["query"]), sum(mechanism()["products"]),
                     len(mechanism()["query"]), mechanism()["logit"], mechanism()["weight"],
                     mechanism()["row_logits"][COUNTRY], mechanism()["row_weights"][COUNTRY],
                     mechanism()["static"]["glove_cosine"])),
    Passage("Switching that head off (`z`): at {} `it` gives `france` {:.3f} instead of {:.3f}.",
            lambda: (head_long_name(after_switching_off("off")["layer"], after_switching_off("off")["head"]),
                     after_switching_off("off")["weight"], after_switching_off("on")["weight"])),
    Passage("![{} off: {} gives france {:.3f} instead of {:.3f}]",
            lambda: (head_name(*best_head()), head_name(after_switching_off("off")["layer"],
                                                        after_switching_off("off")["head"]),
                     after_switching_off("off")["weight"], after_switching_off("on")["weight"])),
    Passage("by 3CosAdd over GloVe gives `{}` first ({:.2f})",
            lambda: (tool("analogy", "man", "king", "woman")["items"][0]["word"],
                     tool("analogy", "man", "king", "woman")["items"][0]["score"])),
    Passage("(`bank` in \"I sat on the bank of the river\" vs \"I deposited my money at the bank\": {:.3f} at the "
            "embeddings, {:.3f} after layer {})",
            lambda: (bank_layers()[0], bank_layers()[-1], len(bank_layers()) - 1)),
    Passage("`it` → `france`, {}: logit {:+.2f}, weight {:.3f}; GloVe cosine of the two words {:.3f}, of their "
            "input-table rows {:.3f}.",
            lambda: (head_long_name(*best_head()), mechanism()["logit"], mechanism()["weight"],
                     mechanism()["static"]["glove_cosine"], mechanism()["static"]["input_table_cosine"])),
    Passage("{}", lambda: (tool("lesson")["steps"][-1]["caption"],)),  # the lesson's answer, quoted whole
    Passage("`it` gives `France` {:.2f} at {}, {:.1f}× an even share (1/{} = {:.2f});",
            lambda: (lesson_numbers(1)["weight"], head_long_name(*lesson_head(1)), lesson_numbers(1)["times_even"],
                     round(1 / lesson_numbers(1)["even_share"]), lesson_numbers(1)["even_share"])),
    Passage("`it` → `trophy` is {:.2f} in \"…too big\" and {:.2f} in \"…too small\",",
            lambda: (lesson_numbers(5)["big_trophy"], lesson_numbers(5)["small_trophy"])),
    Passage("`--layer 4 --head 2` gives 3, 1", lambda: ()),  # checked with the mechanism's own JSON below
    Passage('`"heads_off": [[{}, {}]]` (0-based indices)',
            lambda: tuple(after_switching_off("off")["heads_off"][0])),
    Passage("{:,} sentences, {:,} word tokens (punctuation is not indexed)",
            lambda: (bundled_uses_index().sentence_count, bundled_uses_index().token_count)),
    Passage('is nearest a use in "{}" ({:.2f}: "…the north bank of the upper Cumberland River…";',
            lambda: (bank_uses(RIVER_BANK)[0]["source"], bank_uses(RIVER_BANK)[0]["cosine"])),
    Passage('nearest one in `{}` ({:.2f}: "The bank says 2001 and 2002 combined…"), and the two top-10 lists share '
            "{} sentence,", lambda: (bank_uses(CHEQUE_BANK)[0]["source"], bank_uses(CHEQUE_BANK)[0]["cosine"],
                                     len({use["sentence"] for use in bank_uses(RIVER_BANK)}
                                         & {use["sentence"] for use in bank_uses(CHEQUE_BANK)}))),
    Passage('"The capital of France is" → `"{}"` {:.2f}.',
            lambda: (tool("predict", "The capital of France is", "--model", "smollm2")["predictions"][0]["text"],
                     tool("predict", "The capital of France is", "--model", "smollm2")["predictions"][0]["prob"])),
]


def flat(text: str) -> str:
    """Whitespace (the README's line wrapping) as one space."""
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("passage", PASSAGES, ids=lambda passage: passage.text[:40])
def test_the_readme_quotes_the_tools_figures(passage):
    expected = flat(passage.text.format(*passage.figures()))
    assert expected in flat(README.read_text(encoding="utf-8")), f"README.md should say: {expected}"


def test_the_json_indices_the_readme_explains():
    report = mechanism()
    assert (report["layer"], report["head"]) == (3, 1) == best_head()  # --layer 4 --head 2


def test_the_evaluation_figures():
    """evaluate takes ~35 s (more under load): one run, its three figures."""
    analogies = tool("evaluate")["analogies"]
    expected = flat(f"(GloVe 6B 50d: {analogies['accuracy']:.4f}, {analogies['correct']:,} of "
                    f"{analogies['correct'] + analogies['incorrect']:,})")
    assert expected in flat(README.read_text(encoding="utf-8"))
