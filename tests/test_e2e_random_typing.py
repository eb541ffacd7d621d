"""End to end, in tmux: many random strings typed, pasted and deleted in bursts sent back to back
(as a fast typist, a key macro or a paste-happy user sends them), with a resize to 40x12 and back
in the middle. The app must stay alive, its sentence line must follow the last text, and at the
end the text it holds must be exactly what was typed: read back through an export.

Each run draws a new seed, printed in every failure; replay one with WORDLENS_TYPING_SEED=<seed>.

Sent back to back, Textual once applied backspace after the characters typed behind it (its Input
runs bound keys only after they bubble up to the App, Textual issue #6605); SentenceInput now runs
them in turn. Pastes hold escapes: Textual's parser would end a paste at the first ESC and read the
rest as keys; the input decoder (tui/terminal.py) keeps it one paste.
"""

from __future__ import annotations

import json
import os
import random
import re

import pytest

from wordlens.core.text import clean_text

from test_e2e_tmux import (
    LOAD_TIMEOUT,
    Terminal,
    header,
    models_loaded,
    screen_width,
)

pytestmark = pytest.mark.e2e

OPERATIONS = 150
LONGEST_BURST = 30  # operations sent with no pause between them
# Past this length the next operation deletes a lot (as a user holding backspace): the text stays
# inside the model's 512 tokens (random characters are up to about one token each), so the end of
# it is analysed and shown.
MAX_CHARS = 400
# Letters, digits, punctuation, accents, CJK, right-to-left; pastes add escapes, tabs, newlines and
# other control characters, which the sentence line holds as spaces.
# No combining marks here: backspace in the terminal and a code-point model of the line disagree
# on them (the Pilot tests cover combining marks).
ALPHABET = list("abcdefghijklmnopqrstuvwxyz    ,.!?'-0123456789") + ["é", "ü", "東", "京", "ש", "ل"]
PASTE_EXTRAS = ["\t", "\n", "\x07", "\x01", "\x7f", "\x1b", "\x1b[31m", "\x1b[A", "  "]


def run_seed() -> int:
    chosen = os.environ.get("WORDLENS_TYPING_SEED")
    return int(chosen) if chosen else random.SystemRandom().randrange(2**32)


def random_piece(rng: random.Random, extras: list[str]) -> str:
    alphabet = ALPHABET + extras
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 25)))


def random_operation(rng: random.Random, text_length: int) -> tuple[str, str | int]:
    if text_length > MAX_CHARS:
        return "delete", rng.randint(50, 300)
    action = rng.choice(["type", "type", "paste", "delete"])
    if action == "type":
        return action, random_piece(rng, [])
    if action == "paste":
        return action, random_piece(rng, PASTE_EXTRAS)
    return action, rng.randint(1, 12)


def apply(text: str, action: str, argument: str | int) -> str:
    """The sentence line's value after the operation (the cursor stays at the end)."""
    if action == "type":
        return text + argument
    if action == "paste":
        return text + clean_text(argument)
    return text[: max(0, len(text) - argument)]


def send(terminal: Terminal, action: str, argument: str | int) -> None:
    if action == "type":
        terminal.tmux("send-keys", "-t", terminal.session, "-l", "--", argument)  # "--": it may start with "-"
    elif action == "paste":  # as a terminal pastes: bracketed, so Textual sees one Paste event
        terminal.tmux("set-buffer", "-b", "wordlens-paste", "--", argument)
        terminal.tmux("paste-buffer", "-p", "-d", "-b", "wordlens-paste", "-t", terminal.session)
    else:
        terminal.tmux("send-keys", "-t", terminal.session, *["BSpace"] * argument)


def sentence_text(screen: str) -> str:
    """What the editable line shows: the first line inside the sentence box, borders stripped."""
    lines = screen.splitlines()
    for index, line in enumerate(lines):
        if "sentence" in line and "╭" in line and index + 1 < len(lines):
            return lines[index + 1].strip().strip("│").strip()
    return ""


def follows(expected: str):
    """The line shows the end of `expected` at its right end (or the hint, for a blank text)."""
    tail = expected.strip()[-20:]
    if not tail:
        return lambda screen: sentence_text(screen) == "" or "Type a sentence" in sentence_text(screen)
    return lambda screen: sentence_text(screen).endswith(tail)


def resize(terminal: Terminal, width: int, height: int) -> None:
    terminal.tmux("resize-window", "-t", terminal.session, "-x", str(width), "-y", str(height))


def test_random_bursts_of_typing_pasting_and_deleting_keep_the_app_alive_and_exact(terminal, tmp_path):
    seed = run_seed()
    replay = f"seed {seed}; replay with WORDLENS_TYPING_SEED={seed}"
    print(f"random typing: {replay}")  # shown with any failure, a tmux error included
    rng = random.Random(seed)
    terminal.start(100, 30, cwd=tmp_path)
    terminal.wait_for(models_loaded, "both models in the header", timeout=LOAD_TIMEOUT)

    expected, done, burst = "", 0, 0
    while done < OPERATIONS:
        size = min(rng.randint(1, LONGEST_BURST), OPERATIONS - done)
        for _ in range(size):  # back to back: no look at the screen in between
            action, argument = random_operation(rng, len(expected))
            send(terminal, action, argument)
            expected = apply(expected, action, argument)
        done, burst = done + size, burst + 1
        if burst == 3:  # while the burst may still be being read
            resize(terminal, 40, 12)
            terminal.wait_for(lambda screen: screen_width(screen) <= 40 and "wordlens" in header(screen),
                              f"the app redrawn at 40x12 ({replay})")
            resize(terminal, 100, 30)
            terminal.wait_for(lambda screen: screen_width(screen) == 100, f"the app redrawn at 100x30 ({replay})")
        terminal.wait_for(follows(expected), f"the line to end with {expected.strip()[-20:]!r} "
                          f"after {done} operations ({replay})")

    # The text ends with a known word: its analysis must be what the panes show.
    terminal.type(" river")
    expected += " river"
    terminal.wait_for(
        lambda screen: follows(expected)(screen)
        and re.search(r"\briver \[SEP\]", screen) is not None
        and re.search(r"river\s+nearest in the vocabulary", screen) is not None,
        f"the panes to show the analysis of the text ending in 'river' ({replay})",
    )
    # And the whole text the app holds is exactly what was sent: the export says which text it is.
    terminal.press("Tab")
    terminal.wait_for(lambda screen: "[ ] layer" in screen.splitlines()[-1], f"the explore keys ({replay})")
    terminal.type("x")
    terminal.wait_for(lambda screen: "exported to" in screen, f"the export notification ({replay})")
    [exported] = tmp_path.glob("*.json")
    held = json.loads(exported.read_text(encoding="utf-8"))["text"]
    assert held == expected, f"the app holds another text than was sent ({replay}):\n{held!r}\n{expected!r}"
    assert "\x1b" not in terminal.capture()


def test_a_paste_holding_escapes_and_a_tab_goes_in_as_text_and_the_focus_stays(terminal):
    terminal.start(100, 30)
    terminal.wait_for(models_loaded, "both models in the header", timeout=LOAD_TIMEOUT)

    terminal.type("one ")
    send(terminal, "paste", "two\x1bthree\tfour \x1b[31mred\x1b")
    terminal.type(" five")  # still in the sentence line: not an explore key
    expected = "one two three four  [31mred  five"
    screen = terminal.wait_for(lambda screen: sentence_text(screen) == expected, f"the line to read {expected!r}")
    assert "[ ] layer" not in screen.splitlines()[-1], "the focus left the sentence line"
    assert "static cosine vs attention" in screen  # no screen opened by a key from the paste
