"""Every option of the `wordlens` command means the same before and after the subcommand, or is
refused with the one-line error: `wordlens --vectors /no/such/file neighbours queen` answered from
the bundled GloVe (the subcommand's copy of --vectors reset it to its default)."""

from __future__ import annotations

import pytest

from wordlens.core.errors import WordlensError
from wordlens.core.vectors.queries import EVALUATION_RESTRICT_VOCAB
from wordlens.core.vectors.static_vectors import DEFAULT_RESTRICT_VOCAB
from wordlens.tui.cli.main import build_parser, parse_arguments

from cli_support import assert_one_line_error, run, run_json

# A value for each option the top-level parser accepts, different from its default. An option added
# later without a sample here fails test_every_global_option_has_a_sample.
SAMPLES = {
    "--vectors": ["v.txt"],
    "--model": ["some/model"],
    "--device": ["cpu"],
    "--runtime": ["transformers"],
    "--neighbour-search": ["exact"],
    "--allow-pickle": [],
    "--trust-remote-code": [],
    "--restrict-vocab": ["7"],
    "--text": ["a sentence"],  # the explorer's and serve's only: refused before any other command
    "--ablate": ["2:1"],
    "--corpus": ["notes.txt"],  # the explorer's only (what `u` searches): refused before any command
}
TEXT_ONLY = {"--text", "--corpus"}
# The command each option is tried with (neighbours unless it takes the option only elsewhere).
COMMAND_FOR = {"--ablate": ["attention", "the queen"]}


def global_options() -> list[str]:
    parser = build_parser()
    # argparse has no public list of its options; its actions are the one place they all are.
    return [action.option_strings[-1] for action in parser._actions
            if action.option_strings and action.dest != "help"]


def test_every_global_option_has_a_sample():
    assert sorted(global_options()) == sorted(SAMPLES)


@pytest.mark.parametrize("option", sorted(set(SAMPLES) - TEXT_ONLY))
def test_an_option_before_the_subcommand_means_what_it_means_after_it(option):
    given = [option, *SAMPLES[option]]
    command = COMMAND_FOR.get(option, ["neighbours", "queen"])
    before = vars(parse_arguments([*given, *command]))
    after = vars(parse_arguments([*command, *given]))
    plain = vars(parse_arguments(command))
    assert before == after
    assert before != plain


def test_the_later_of_two_places_wins():
    args = parse_arguments(["--device", "cpu", "neighbours", "queen", "--device", "cuda"])
    assert args.device == "cuda"


def test_restrict_vocab_keeps_each_commands_default_and_is_honoured_before_evaluate():
    assert parse_arguments(["neighbours", "queen"]).restrict_vocab == DEFAULT_RESTRICT_VOCAB
    assert parse_arguments(["evaluate"]).restrict_vocab == EVALUATION_RESTRICT_VOCAB
    assert parse_arguments(["--restrict-vocab", "9", "evaluate"]).restrict_vocab == 9
    assert parse_arguments([]).restrict_vocab == DEFAULT_RESTRICT_VOCAB


def test_text_before_serve_or_the_explorer_is_honoured_and_refused_before_other_commands():
    assert parse_arguments(["--text", "hello there"]).text == "hello there"
    assert parse_arguments(["--text", "hello there", "serve"]).explorer_text == "hello there"
    for command in (["neighbours", "queen"], ["attention", "the queen"], ["compare", "a", "b", "--word", "a"]):
        with pytest.raises(WordlensError, match="--text"):
            parse_arguments(["--text", "hello", *command])


def test_ablate_before_a_command_that_cannot_switch_heads_off_is_the_one_line_error(capsys):
    assert_one_line_error(*run(capsys, "--ablate", "2:1", "neighbours", "queen"), "--ablate")


def test_vectors_before_the_subcommand_is_not_dropped(capsys):
    assert_one_line_error(*run(capsys, "--vectors", "/no/such/file", "neighbours", "queen"), "/no/such/file")


def test_text_before_a_headless_command_is_the_one_line_error(capsys):
    assert_one_line_error(*run(capsys, "--text", "hello", "similarity", "queen", "king"), "--text")


def test_vectors_before_the_subcommand_answers_from_that_file(capsys, vectors_file, reference_kv):
    before = run_json(capsys, "--vectors", vectors_file, "--restrict-vocab", "0", "neighbours", "river")
    after = run_json(capsys, "neighbours", "river", "--vectors", vectors_file, "--restrict-vocab", "0")
    assert before == after
    words = [item["word"] for item in before["neighbours"][0]["items"]][:3]
    assert words == [word for word, _ in reference_kv.most_similar("river", topn=3)]
