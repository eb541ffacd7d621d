"""The config file (defaults, remapped keys, theme) and the command palette listing every action."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.command import CommandPalette

from wordlens.tui.app import WordLensApp
from wordlens.tui.config import Config, ConfigError, config_path, load_config
from wordlens.tui.keys import app_actions, binding_id
from wordlens.tui.launch import make_app

from cli_support import assert_one_line_error, run
from tui_support import shows, wait_for

pytestmark = pytest.mark.anyio
SENTENCE = "france is a country, it is in europe"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_lives_in_the_xdg_config_folder(tmp_path):
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "wordlens" / "config.toml"
    assert config_path({"HOME": "/home/ada"}) == Path("/home/ada/.config/wordlens/config.toml")


def test_no_file_means_no_defaults(tmp_path):
    assert load_config(tmp_path / "none.toml") == Config()


def test_every_setting_is_read(tmp_path):
    path = write(tmp_path, 'vectors = "~/v.bin"\nmodel = "m"\ntheme = "wordlens"\ntop_k = 7\n'
                           'output_folder = "out"\n[keys]\nexport = "ctrl+e"\n')
    config = load_config(path)
    assert config.vectors == str(Path("~/v.bin").expanduser()) and config.model == "m"
    assert (config.theme, config.top_k, config.output_folder) == ("wordlens", 7, Path("out"))
    assert config.keys == {"export": "ctrl+e"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("top_k = ", "not valid TOML"),
        ("colour = 'red'", "unknown setting 'colour'"),
        ("top_k = 0", "top_k must be a whole number from 1 to 100"),
        ("top_k = '10'", "top_k must be a whole number"),
        ("model = 3", "model must be a non-empty string"),
        ("keys = 'x'", "keys must be a table"),
    ],
)
def test_a_bad_file_names_itself_and_the_problem(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ('[keys]\nexprot = "e"', "[keys] 'exprot' is not an action"),
        ('[keys]\nexport = "ctrl+nothing"', "'ctrl+nothing' is not a key name"),
        ('theme = "no-such-theme"', "unknown theme 'no-such-theme'"),
    ],
)
def test_what_only_the_app_can_check_is_checked_before_it_opens(tmp_path, tiny_engine, text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_app(tiny_engine, load_config(write(tmp_path, text)))


def test_a_bad_config_stops_the_cli_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "wordlens").mkdir()
    write(tmp_path / "wordlens", "top_k = -1\n")
    code, out, err = run(capsys, "similarity", "queen", "woman")
    assert_one_line_error(code, out, err, "config.toml", "top_k")


def test_binding_ids_are_readable_names():
    assert binding_id("layer(1)") == "layer_next"
    assert binding_id("head(-1)") == "head_previous"
    assert binding_id("toggle('words')") == "toggle_words"
    assert binding_id("export") == "export"
    ids = [binding.id for binding in WordLensApp.BINDINGS]
    assert None not in ids and "export" in ids and "save_screen" in ids


async def test_a_remapped_key_runs_the_action_and_the_old_key_does_not(tiny_engine, tmp_path):
    config = Config(keys={"export": "ctrl+e", "layer_next": "n"}, output_folder=tmp_path, theme="wordlens",
                    top_k=3)
    app = make_app(tiny_engine, config, text=SENTENCE)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        assert app.theme == "wordlens"
        assert all(len(found.items) == 3 for found in app.view.analysis.static.neighbours)
        await pilot.press("tab", "x")
        assert not list(tmp_path.iterdir())
        await pilot.press("ctrl+e", "n")
        assert len(list(tmp_path.iterdir())) == 4
        assert app.view.layer == 1
        assert ("export", "export", "export", "^e") in app_actions(app)


async def test_the_command_palette_lists_every_action_with_its_key(tiny_engine):
    app = make_app(tiny_engine, Config(), text=SENTENCE)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: shows(app, SENTENCE), what="the analysis")
        await pilot.press("tab")
        actions = app_actions(app)
        assert {identity for identity, *_ in actions} == {binding.id for binding in WordLensApp.BINDINGS}
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"layer next")  # the id, as config.toml names it
        await wait_for(pilot, lambda: palette_text(app).startswith("layer+  (])"), what="the layer+ command")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette), what="the palette to close")
        assert app.view.layer == 1


def palette_text(app) -> str:
    from textual.command import CommandList

    option_list = app.screen.query_one(CommandList)
    return "\n".join(str(option_list.get_option_at_index(i).prompt) for i in range(option_list.option_count))
