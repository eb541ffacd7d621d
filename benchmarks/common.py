"""Shared by the benchmarks: the bundled models, loaded offline before anything is timed, as the
explorer loads them (tui.setup.interactive: torch leaves a core to the interface)."""

from __future__ import annotations

import os


def compile_wordlens() -> None:
    """Byte-compile wordlens's own modules, as pip does when it installs a package (the floors' Textual
    and torch were compiled when installed). With PYTHONDONTWRITEBYTECODE set, as on these machines,
    an editable install otherwise compiles every wordlens module again at every launch: about 1.5 s
    of import time under load that a user's install does not pay. Reading a .pyc needs no write."""
    import compileall
    import importlib.util

    for package in ("wordlens.core", "wordlens.tui"):
        spec = importlib.util.find_spec(package)
        for folder in spec.submodule_search_locations if spec and spec.submodule_search_locations else ():
            compileall.compile_dir(folder, quiet=1)


def loaded_engine():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from wordlens.core.engine import Engine, Sources
    from wordlens.tui.launch import interactive

    engine = Engine.from_sources(interactive(Sources()))
    engine.load_vectors()
    engine.load_model()
    return engine
