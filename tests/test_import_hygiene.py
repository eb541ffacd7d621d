"""Importing the engine is cheap and screen-free: a UI can paint before any model is loaded."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import wordlens.core

HEAVY = ("torch", "transformers", "gensim", "textual", "rich")
CORE_FOLDER = Path(wordlens.core.__file__).parent
CORE_MODULES = sorted(
    "wordlens.core." + ".".join(path.relative_to(CORE_FOLDER).with_suffix("").parts).removesuffix(".__init__")
    for path in CORE_FOLDER.rglob("*.py")
    if path != CORE_FOLDER / "__init__.py"
)


def modules_loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_core_modules_are_found():
    assert {
        "wordlens.core.engine", "wordlens.core.vectors.static_vectors", "wordlens.core.transformer.context_model"
    } <= set(CORE_MODULES)


@pytest.mark.parametrize("module", ["wordlens.core", "wordlens.core.engine"])
def test_importing_the_engine_imports_no_heavy_library(module):
    assert modules_loaded_after(f"import {module}") == []


def test_importing_every_core_module_imports_no_heavy_library():
    assert modules_loaded_after("\n".join(f"import {m}" for m in CORE_MODULES)) == []


def test_building_sources_and_an_engine_imports_no_heavy_library():
    code = (
        "from wordlens.core.engine import Engine, Sources\n"
        "engine = Engine.from_sources(Sources(vectors='/no/such/file.txt', model='/no/such/model'))\n"
        "assert engine.vectors is None and engine.model is None\n"
    )
    assert modules_loaded_after(code) == []


def test_checking_sources_imports_no_heavy_library(tmp_path):
    """`check_sources` runs before the UI opens: it must stay instant."""
    glove = tmp_path / "glove.txt"
    glove.write_text("queen 0.1 0.2\nwoman 0.1 0.3\n", encoding="utf-8")
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}", encoding="utf-8")
    code = (
        "from wordlens.core.engine import Sources, check_sources\n"
        f"check_sources(Sources(vectors={str(glove)!r}, model={str(model)!r}))\n"
    )
    assert modules_loaded_after(code) == []


@pytest.mark.real_models
def test_the_bundled_glove_loads_and_answers_the_analysis_without_gensim():
    """Importing gensim takes about a second (scipy.stats): the bundled GloVe and all that an
    analysis asks of it (neighbours, cosines, vectors) do without it."""
    code = (
        "from wordlens.core.engine import Engine, Sources\n"
        "engine = Engine.from_sources(Sources())\n"
        "vectors = engine.load_vectors()\n"
        "assert vectors.info.size == 400_000\n"
        "static = engine.analyze('The river bank is quiet').static\n"
        "assert [n.word for n in static.neighbours[1].items][:1] == ['rivers']\n"
        "assert vectors.similarity('queen', 'woman') > vectors.similarity('queen', 'dog')\n"
        "assert vectors.nearest_to_vector(vectors.vector('river'))[0].word == 'river'\n"
    )
    assert modules_loaded_after(code) == []


@pytest.mark.parametrize("path", sorted(CORE_FOLDER.rglob("*.py")), ids=lambda p: str(p.relative_to(CORE_FOLDER)))
def test_core_source_never_imports_a_ui_library(path):
    source = path.read_text(encoding="utf-8")
    pattern = re.compile(r"^\s*(import|from)\s+(textual|rich)\b", re.MULTILINE)
    assert not pattern.search(source), f"{path.name} imports a UI library"
    assert "wordlens.tui" not in source, f"{path.name} depends on the UI package"


CLI_FOLDER = Path(wordlens.core.__file__).parent.parent / "tui" / "cli"


@pytest.mark.parametrize("path", sorted(CLI_FOLDER.glob("*.py")), ids=lambda p: p.name)
def test_the_headless_command_line_never_imports_textual_at_module_level(path):
    """`wordlens neighbours …` and the other headless commands must not pay for Textual."""
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"^(import|from)\s+(textual|textual_serve)\b", source, re.MULTILINE), path.name
    assert not re.search(r"^from wordlens\.tui\.(app|panes|screens|services|demo)\b", source, re.MULTILINE), path.name


def test_a_headless_command_runs_without_importing_textual(tmp_path):
    vectors = tmp_path / "glove.txt"
    vectors.write_text("queen 0.1 0.2\nwoman 0.1 0.3\ndog 0.9 -0.2\n", encoding="utf-8")
    code = (
        "from wordlens.tui.cli.main import main\n"
        f"assert main(['similarity', 'queen', 'woman', '--vectors', {str(vectors)!r}, '--json']) == 0\n"
    )
    assert "textual" not in modules_loaded_after(code)


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


# What opens only on a key: imported by the action that opens it, never before the first frame.
DIALOG_MODULES = tuple(f"wordlens.tui.screens.{name}" for name in (
    "help", "open_models", "compare", "head_tables", "logit_lens", "map", "mechanism", "overview", "query"))


def test_the_explorer_is_built_without_numpy_the_dialogs_or_a_model_library():
    """Issue 20: first paint is measured against a one-line Textual app. Everything the explorer's
    first frame needs is imported by building the app as `wordlens` does (the console script's
    module, then make_app); numpy, the dialogs, saving and the tape player must not be among it: the modules on that
    path import numpy inside the functions that compute, which run in the services' threads."""
    code = (
        "from wordlens.tui.cli.main import main\n"
        "from wordlens.core.engine import Engine, Sources\n"
        "from wordlens.tui.config import Config\n"
        "from wordlens.tui.launch import interactive, make_app\n"
        "app = make_app(Engine.from_sources(interactive(Sources())), Config(), text='France is a country')\n"
    )
    loaded = modules_after(code)
    assert {"wordlens.tui.app", "wordlens.tui.screens.explorer", "wordlens.tui.panes.attention"} <= loaded
    assert "numpy" not in loaded
    assert not set(DIALOG_MODULES) & loaded
    assert not {"wordlens.tui.services.saving", "wordlens.core.reports.export", "wordlens.tui.demo.play",
                *HEAVY[:3]} & loaded
