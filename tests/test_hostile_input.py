"""Hostile input: what a user may paste or type, through the engine, the CLI and the explorer.

A megabyte paste, control characters, bytes that are not UTF-8, unpaired surrogates, tabs and
newlines: each is analysed or cleaned, never a crash, never a command obeyed by the terminal.
"""

from __future__ import annotations

import codecs

import numpy as np
import pytest
from rich.segment import Segment
from textual import events
from textual.color import Color

from wordlens.core.text import MAX_WORDS, clean_text, split_words, split_words_upto
from wordlens.tui.app import WordLensApp
from wordlens.tui.panes.token_strip import TokenStrip
from wordlens.tui.terminal import (
    PASTE_END,
    PASTE_START,
    ControlCharacters,
    PastedEscapes,
    TerminalInputDecoder,
    make_terminal_input_safe,
)

from cli_support import run
from conftest import TINY_MAX_POSITIONS
from tui_support import screen_text, shows, text_input, wait_for

pytestmark = pytest.mark.anyio

SIZE = (120, 36)
MEGABYTE = ("the dog walks in the river bank, quickly. " * 25_000)[:1_000_000]


@pytest.fixture
def anyio_backend():
    return "asyncio"


# ---------------------------------------------------------------------------------------------
# Cleaning and cutting text
# ---------------------------------------------------------------------------------------------


def test_split_words_upto_stops_at_the_limit_and_says_so():
    words, cut = split_words_upto("a b c d", 2)
    assert [w.text for w in words] == ["a", "b"] and cut is True
    words, cut = split_words_upto("a b", 2)
    assert [w.text for w in words] == ["a", "b"] and cut is False
    # a combining mark after the limit still belongs to the last word
    words, cut = split_words_upto("cafe\u0301 x", 1)
    assert [w.text for w in words] == ["cafe\u0301"] and cut is True


def test_split_words_upto_equals_the_start_of_split_words():
    text = "France is a country, it is in Europe. " * 40
    assert split_words_upto(text, 50)[0] == split_words(text)[:50]


def test_clean_text_keeps_the_length_and_drops_every_control_character():
    text = "a\tb\nc\rd\x1b[2J\x07\x00\x7f\x9b\udcff caf\u00e9 \U0001f600 東京"
    cleaned = clean_text(text)
    assert len(cleaned) == len(text)  # character offsets stay valid
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in cleaned)
    assert "\udcff" not in cleaned and "\ufffd" in cleaned
    assert cleaned.encode("utf-8")  # printable and encodable
    assert cleaned.endswith("caf\u00e9 \U0001f600 東京")  # what is not a control stays


# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------


def test_a_megabyte_paste_is_cut_at_the_word_limit_and_the_model_maximum(tiny_engine):
    analysis = tiny_engine.analyze(MEGABYTE)
    assert len(analysis.words) == MAX_WORDS and analysis.words_cut is True
    assert analysis.words == split_words(MEGABYTE[:10_000])[:MAX_WORDS]
    assert analysis.static.cosine.shape == (MAX_WORDS, MAX_WORDS)
    assert len(analysis.static.neighbours) == MAX_WORDS
    context = analysis.context
    assert len(context.tokens) == TINY_MAX_POSITIONS and context.truncated is True


def test_a_short_text_is_not_cut(tiny_engine):
    analysis = tiny_engine.analyze("the dog walks")
    assert analysis.words_cut is False and analysis.context.truncated is False


def test_unpaired_surrogates_are_analysed_like_replacement_characters(tiny_engine):
    """Command-line bytes that are not UTF-8 arrive as surrogates; the Rust tokenizer refuses them."""
    analysis = tiny_engine.analyze("the dog\udcff walks")
    expected = tiny_engine.analyze("the dog\ufffd walks")
    assert analysis.context.tokens == expected.context.tokens
    assert np.array_equal(analysis.context.attentions, expected.context.attentions)


def test_a_long_text_is_tokenized_from_its_start_as_the_whole_text_would_be(tiny_model_each_runtime):
    text = "the dog walks quickly in the river bank . " * 2000  # far past the prefix window
    encoding = tiny_model_each_runtime.encode(text)
    whole = tiny_model_each_runtime.tokenizer.encode(text, TINY_MAX_POSITIONS)
    assert list(encoding.tokens) == whole.tokens
    assert encoding.offsets.tolist() == whole.offsets.tolist()
    assert encoding.truncated is True


def test_a_long_text_without_spaces_is_still_cut_at_the_model_maximum(tiny_model):
    encoding = tiny_model.encode("dog," * 20_000)
    assert len(encoding.tokens) == TINY_MAX_POSITIONS and encoding.truncated is True


def test_neighbours_of_many_distinct_words_in_batches_equal_one_batch(tiny_vectors, monkeypatch):
    from wordlens.core.vectors import static_vectors as static

    words = list(tiny_vectors.words)
    at_once = tiny_vectors.neighbours(words, topn=5, restrict_vocab=None)
    monkeypatch.setattr(static, "SCORE_BUDGET", 3 * tiny_vectors.info.size)  # 3 words per batch
    in_batches = tiny_vectors.neighbours(words, topn=5, restrict_vocab=None)
    # The same words in the same order; a cosine may differ in float32's last bit (BLAS picks its
    # kernel by the number of rows in the product).
    assert [[item.word for item in n.items] for n in in_batches] == [[item.word for item in n.items] for n in at_once]
    for batched, whole in zip(in_batches, at_once, strict=True):
        assert [item.cosine for item in batched.items] == pytest.approx([item.cosine for item in whole.items], abs=1e-6)


# ---------------------------------------------------------------------------------------------
# The terminal: what is drawn and what is read
# ---------------------------------------------------------------------------------------------


def test_the_line_filter_drops_control_characters_but_keeps_control_segments():
    cursor_move = Segment("\x1b[2;3H", None, [(1,)])
    segments = [Segment("ok \x1b]0;title\x07 \x1b[2J zz"), Segment("\x1b"), cursor_move]
    filtered = ControlCharacters().apply(segments, Color(0, 0, 0))
    assert [segment.text for segment in filtered] == ["ok ]0;title [2J zz", cursor_move.text]
    assert filtered[-1] is cursor_move


@pytest.fixture
def safe_drivers(monkeypatch):
    """make_terminal_input_safe() run, and undone after the test."""
    import importlib

    for name in ("linux_driver", "linux_inline_driver", "web_driver"):
        monkeypatch.setattr(importlib.import_module(f"textual.drivers.{name}"), "getincrementaldecoder",
                            codecs.getincrementaldecoder)
    make_terminal_input_safe()


def test_bytes_that_are_not_utf8_are_read_as_replacement_characters(safe_drivers):
    from textual.drivers import linux_driver

    decode = linux_driver.getincrementaldecoder("utf-8")().decode
    assert decode(b"ab\xff\xfeA\xc3", final=False) == "ab\ufffd\ufffdA"
    assert decode(b"\xa9", final=True) == "\u00e9"  # a character split across two reads still joins


def test_every_terminal_driver_reads_through_the_safe_decoder(safe_drivers):
    import importlib

    for name in ("linux_driver", "linux_inline_driver", "web_driver"):
        decoder = importlib.import_module(f"textual.drivers.{name}").getincrementaldecoder("utf-8")()
        assert isinstance(decoder, TerminalInputDecoder), name


PASTED = "ab\x1bcd\tef\x1b[31mred\x1b"
STREAM = "x\x1b[A" + PASTE_START + PASTED + PASTE_END + "\x1by\x1b"  # up arrow, paste, alt+y, escape


def test_an_escape_inside_a_paste_becomes_sub_and_nothing_else_changes():
    assert PastedEscapes().feed(STREAM) == STREAM.replace(PASTED, PASTED.replace("\x1b", "\x1a"))


@pytest.mark.parametrize("cut", range(1, len(STREAM.encode())))
def test_the_same_whatever_the_reads_are_cut(cut):
    """Markers and characters split across two reads are joined."""
    decoder = TerminalInputDecoder()
    data = STREAM.encode()
    assert decoder.decode(data[:cut]) + decoder.decode(data[cut:]) == PastedEscapes().feed(STREAM)


def test_an_escape_key_outside_a_paste_is_passed_at_once():
    escapes = PastedEscapes()
    assert escapes.feed(PASTE_START + "a" + PASTE_END) == PASTE_START + "a" + PASTE_END
    assert escapes.feed("\x1b") == "\x1b"  # not held back for a marker that will not come


def paste_events(stream: str) -> list:
    """What Textual's own parser makes of `stream` read through the safe decoder."""
    from textual._xterm_parser import XTermParser

    parser = XTermParser()
    return [event for event in parser.feed(TerminalInputDecoder().decode(stream.encode()))
            if isinstance(event, (events.Key, events.Paste))]


def test_textual_reads_a_paste_holding_escapes_as_one_paste_and_no_keys():
    got = paste_events(PASTE_START + PASTED + PASTE_END + "z")
    assert [type(event) for event in got] == [events.Paste, events.Key]
    assert clean_text(got[0].text) == "ab cd ef [31mred "
    assert got[1].key == "z"


# ---------------------------------------------------------------------------------------------
# The explorer
# ---------------------------------------------------------------------------------------------


async def wait_for_text(pilot, app, text: str) -> None:
    await wait_for(pilot, lambda: shows(app, text), timeout=30, what=f"a complete analysis of {text[:40]!r}")


async def test_a_paste_with_tabs_newlines_and_escapes_goes_in_as_one_clean_line(tiny_engine):
    app = WordLensApp(tiny_engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        await pilot.press(*"a ")
        text_input(app).post_message(events.Paste("the\tdog \x1b[2J\x07walks\nin the\r\nriver"))
        await pilot.press(*" ok")  # typed while the paste is handled: lands after it
        await wait_for_text(pilot, app, "a the dog  [2J walks in the  river ok")
        assert [w.text for w in app.view.analysis.words][:6] == ["a", "the", "dog", "[", "2J", "walks"]


async def test_an_initial_text_with_controls_and_surrogates_is_cleaned(tiny_engine):
    app = WordLensApp(tiny_engine, text="the\x1b]0;x\x07 dog\udcff")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "the ]0;x  dog\ufffd")
        assert "\x1b" not in screen_text(app)


async def test_a_word_of_the_vectors_file_cannot_send_escapes_to_the_terminal(tiny_model):
    from gensim.models import KeyedVectors

    from wordlens.core.engine import Engine
    from wordlens.core.vectors.static_vectors import StaticVectors

    keyed_vectors = KeyedVectors(vector_size=2)
    keyed_vectors.add_vectors(["dog", "\x1b[2Jevil\x07"], np.array([[1.0, 0.0], [1.0, 0.1]], dtype=np.float32))
    app = WordLensApp(
        Engine.from_loaded(StaticVectors.from_keyed_vectors(keyed_vectors, "hostile"), tiny_model), text="dog"
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "dog")
        await pilot.pause()
        assert app.view.analysis.static.neighbours[0].items[0].word == "\x1b[2Jevil\x07"
        screen = screen_text(app)
        assert "[2Jevil" in screen and "\x1b" not in screen and "\x07" not in screen


async def test_a_megabyte_paste_shows_the_cut_and_the_sentence_stays_editable(tiny_engine):
    app = WordLensApp(tiny_engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, "")
        text_input(app).post_message(events.Paste(MEGABYTE))
        await wait_for_text(pilot, app, MEGABYTE)
        await pilot.pause()
        strip = app.query_one(TokenStrip).render().plain
        assert f"cut at {TINY_MAX_POSITIONS} tokens, the model's maximum" in strip
        await pilot.press("end", "!")  # still typing: the newest text is analysed
        await wait_for_text(pilot, app, MEGABYTE + "!")
        await pilot.press(*["backspace"] * 3)
        await wait_for_text(pilot, app, MEGABYTE[:-2])


async def test_words_cut_before_the_model_is_loaded_are_announced(tiny_vectors, tiny_model):
    import threading

    from wordlens.core.engine import Engine

    # The transformer's load is held until the words are checked: an engine made without one would
    # fail its load, and the App would exit on that before the words' analysis arrived.
    gate = threading.Event()

    def held_model(progress):
        assert gate.wait(60), "the test never opened the gate"
        return tiny_model

    app = WordLensApp(Engine(lambda progress: tiny_vectors, held_model), text="dog " * (MAX_WORDS + 5))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.view.analysis is not None and app.view.analysis.words, what="words")
            await pilot.pause()
            assert app.view.context is None  # still loading
            assert f"cut at {MAX_WORDS} words" in app.query_one(TokenStrip).render().plain
    finally:
        gate.set()


@pytest.mark.parametrize("text", ["東京 と パリ", "مرحبا بالعالم", "I ❤️ 🐶🐕‍🦺!", "cafe\u0301 h̸̡̪̯ͨ͊̽̅̾̎Ȩ̬̩̾͛ͪ̈́̀́͘", "zxqv blorp"])
async def test_unusual_scripts_survive_a_resize_to_40x12_and_back(tiny_engine, text):
    app = WordLensApp(tiny_engine, text=text)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_text(pilot, app, text)
        await pilot.press("tab", "down", "right", "a", "w", "s", "d")
        await pilot.resize_terminal(40, 12)
        await pilot.pause(0.1)
        assert screen_text(app).splitlines()[0].strip().startswith("wordlens")
        await pilot.resize_terminal(*SIZE)
        await pilot.press("e", "x")
        await wait_for_text(pilot, app, text + "x")
        assert app.return_code is None


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def test_cli_text_with_bytes_that_are_not_utf8_is_analysed(capsys, tiny_model_dir):
    code, out, err = run(capsys, "attention", "dog\udcff walks", "--model", tiny_model_dir, "--json")
    assert code == 0, err
    assert "\udcff" not in out


def test_cli_word_with_bytes_that_are_not_utf8_is_named_readably(capsys, vectors_file):
    code, out, err = run(capsys, "similarity", "dog\udcff", "queen", "--vectors", vectors_file)
    assert code == 2 and "dog\ufffd" in err
