"""A decoder (causal) model: detected at load, zero weight above the diagonal, drawn as masked.

A tiny random GPT-2 (2 layers, 2 heads) with a byte-level BPE tokenizer is built in the test and
saved to a folder, then loaded through the real loading code (`load_context_model`), as a user's
`--model PATH` would be.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rich.color import Color
from rich.style import Style
from textual.strip import Strip

from wordlens.core.engine import Engine
from wordlens.core.transformer.context_model import load_context_model
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.attention import MASKED_STYLE, AttentionGrid, AttentionStatus
from wordlens.tui.style.colors import HEAT_RAMP

from tui_support import wait_for

GPT2_LAYERS, GPT2_HEADS = 2, 2
SIZE = (120, 36)

# The tokenizer's training text: every word here becomes (at most a few) whole byte-level pieces.
CORPUS = [
    "france is a country, it is in europe.",
    "the queen walks quickly by the river bank.",
    "the dog walks to the bank and the woman walks to paris.",
    "wordlens warms the model up with a short sentence.",
]
TEXTS = [
    "france is a country, it is in europe",
    "the queen walks quickly",
    "the dog walks by the river bank and the woman walks to paris.",
]


# ---------------------------------------------------------------------------------------------
# The tiny GPT-2
# ---------------------------------------------------------------------------------------------


def write_gpt2_tokenizer(folder: Path):
    """A byte-level BPE (GPT-2's scheme: no special tokens added around the text), as a fast
    tokenizer with character offsets, saved into `folder`."""
    import transformers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=True)
    trainer = trainers.BpeTrainer(
        vocab_size=420,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(CORPUS * 4, trainer)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        unk_token="<|endoftext|>",
        model_max_length=64,
    )
    fast.save_pretrained(str(folder))
    return fast


@pytest.fixture(scope="module")
def gpt2_model_dir(tmp_path_factory) -> Path:
    import torch
    import transformers

    folder = tmp_path_factory.mktemp("tiny-gpt2")
    tokenizer = write_gpt2_tokenizer(folder)
    config = transformers.GPT2Config(
        n_layer=GPT2_LAYERS,
        n_head=GPT2_HEADS,
        n_embd=16,
        vocab_size=len(tokenizer),
        n_positions=64,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(99)
    transformers.GPT2Model(config).eval().save_pretrained(str(folder))
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    return folder


@pytest.fixture(scope="module")
def gpt2_model(gpt2_model_dir):
    return load_context_model(gpt2_model_dir, device="cpu")


def upper_triangle(size: int) -> np.ndarray:
    return np.triu(np.ones((size, size), dtype=bool), k=1)


# ---------------------------------------------------------------------------------------------
# Loading and the weights
# ---------------------------------------------------------------------------------------------


def test_a_gpt2_loads_and_is_detected_as_causal(gpt2_model):
    info = gpt2_model.info
    assert (info.layers, info.heads, info.hidden_size) == (GPT2_LAYERS, GPT2_HEADS, 16)
    assert info.causal is True


def test_a_bert_is_not_causal(tiny_model):
    assert tiny_model.info.causal is False


def test_the_gpt2_tokenizer_gives_offsets_and_no_special_tokens(gpt2_model):
    text = TEXTS[0]
    encoding = gpt2_model.encode(text)
    assert len(encoding.tokens) > 3
    assert not encoding.special.any()  # GPT-2 adds nothing around the text
    for (start, end), token in zip(encoding.offsets.tolist(), encoding.tokens, strict=True):
        assert 0 <= start <= end <= len(text)
        assert text[start:end] == token.replace("Ġ", ""), (token, start, end)  # trimmed offsets


@pytest.mark.parametrize("text", TEXTS)
def test_every_row_gives_exactly_zero_weight_to_later_tokens(gpt2_model, text):
    output = gpt2_model.run(gpt2_model.encode(text))
    attentions = output.attentions
    size = attentions.shape[-1]
    assert attentions.shape == (GPT2_LAYERS, GPT2_HEADS, size, size) and size > 3
    above = attentions[..., upper_triangle(size)]
    assert np.count_nonzero(above) == 0, f"largest weight above the diagonal: {np.abs(above).max()}"
    np.testing.assert_allclose(attentions.sum(axis=-1), 1.0, atol=1e-5)
    # and on and under the diagonal the weights are real: every token sees itself
    assert (np.diagonal(attentions, axis1=-2, axis2=-1) > 0).all()
    assert attentions[..., 0, 0] == pytest.approx(1.0)  # the first token can only see itself


def test_the_engine_keeps_the_causal_flag_and_the_zeros(tiny_vectors, gpt2_model):
    analysis = Engine.from_loaded(tiny_vectors, gpt2_model).analyze(TEXTS[2])
    context = analysis.context
    assert context.model.causal is True
    size = len(context.tokens)
    assert np.count_nonzero(context.attentions[..., upper_triangle(size)]) == 0


# ---------------------------------------------------------------------------------------------
# The TUI draws the upper triangle as masked
# ---------------------------------------------------------------------------------------------


def style_at(strip: Strip, x: int) -> Style:
    """The style of the character cell at column `x` of a rendered line."""
    position = 0
    for segment in strip:
        if position <= x < position + segment.cell_length:
            return segment.style or Style()
        position += segment.cell_length
    raise IndexError(x)


async def open_grid(pilot, app, text: str) -> AttentionGrid:
    await wait_for(
        pilot,
        lambda: app.view.analysis is not None and app.view.analysis.complete and app.view.analysis.text == text,
        what=f"the analysis of {text!r}",
    )
    await pilot.press("tab")
    grid = app.query_one(AttentionGrid)
    assert app.focused is grid
    await pilot.pause()
    return grid


def check_masked_cells(app, grid: AttentionGrid) -> int:
    """Every visible cell above the diagonal is masked ('╱', the masked style); none below is.
    Returns how many masked cells were seen."""
    view = app.view.grid
    shape = grid.geometry(view)
    label_width, cell, per_line, header_rows = shape.label_width, shape.cell, shape.per_line, shape.header_rows
    assert per_line == 1
    count = len(view.labels)
    assert label_width + count * cell <= grid.scrollable_content_region.width, "every column should be visible"
    assert count + header_rows <= grid.scrollable_content_region.height, "every row should be visible"
    masked_seen = 0
    heat_colours = {Color.parse(colour).get_truecolor() for colour in HEAT_RAMP}
    for row in range(count):
        strip = grid.render_line(header_rows + row)
        text = strip.text
        assert text.lstrip("▶+ ").startswith(view.labels[row][: label_width - 2].rstrip("…")), (row, text)
        for column in range(count):
            x = label_width + column * cell
            shown = text[x : x + cell]
            style = style_at(strip, x)
            if column > row:
                masked_seen += 1
                assert shown == "╱" * cell, f"row {row} column {column}: {shown!r} is not drawn masked"
                assert style.bgcolor.triplet == MASKED_STYLE.bgcolor.triplet, (row, column, style)
                assert style.bgcolor.triplet not in heat_colours  # not a (zero-)heat cell
            else:
                assert "╱" not in shown, f"row {row} column {column} is on/below the diagonal yet masked"
                assert style.bgcolor.triplet in heat_colours, (row, column, style)  # a heat colour
    return masked_seen


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_the_grid_draws_the_upper_triangle_as_masked(tiny_vectors, gpt2_model):
    text = TEXTS[1]
    app = WordLensApp(Engine.from_loaded(tiny_vectors, gpt2_model), text=text)
    async with app.run_test(size=SIZE) as pilot:
        grid = await open_grid(pilot, app, text)
        size = len(app.view.analysis.context.tokens)
        assert check_masked_cells(app, grid) == size * (size - 1) // 2
        assert "masked (causal)" in app.query_one(AttentionStatus).render().plain

        # the other views of a causal model are still lower-triangular, and drawn so
        for key in ["a", "a", "a"]:  # mean, max, rollout
            await pilot.press(key)
            await pilot.pause()
            matrix = app.view.grid.matrix
            assert np.count_nonzero(matrix[upper_triangle(len(matrix))]) == 0, app.view.aggregate
            assert check_masked_cells(app, grid) == size * (size - 1) // 2, app.view.aggregate
        assert app.view.aggregate == "rollout"


@pytest.mark.anyio
async def test_a_bert_grid_has_no_masked_cells(tiny_engine):
    text = "the queen walks quickly"
    app = WordLensApp(tiny_engine, text=text)
    async with app.run_test(size=SIZE) as pilot:
        grid = await open_grid(pilot, app, text)
        lines = [grid.render_line(y).text for y in range(grid.size.height)]
        assert not any("╱" in line for line in lines)
        assert "masked" not in app.query_one(AttentionStatus).render().plain


@pytest.mark.anyio
async def test_dense_mode_draws_the_upper_triangle_masked(tiny_vectors, gpt2_model):
    text = TEXTS[1]
    app = WordLensApp(Engine.from_loaded(tiny_vectors, gpt2_model), text=text)
    async with app.run_test(size=SIZE) as pilot:
        grid = await open_grid(pilot, app, text)
        await pilot.press("d")
        await pilot.pause()
        view = app.view.grid
        shape = grid.geometry(view)
        label_width, cell, per_line = shape.label_width, shape.cell, shape.per_line
        assert (cell, per_line) == (1, 2)
        count = len(view.labels)
        for line in range(count // 2):  # lines holding two rows: upper half = `top`, lower = `top + 1`
            top = 2 * line
            strip = grid.render_line(shape.header_rows + line)
            for column in range(count):
                x = label_width + column
                assert strip.text[x] == "▀"
                style = style_at(strip, x)
                assert (style.color.triplet == MASKED_STYLE.bgcolor.triplet) == (column > top), (top, column)
                assert (style.bgcolor.triplet == MASKED_STYLE.bgcolor.triplet) == (column > top + 1), (top, column)
