"""Shared by the benchmarks: the bundled models, loaded offline before anything is timed, as the
explorer loads them (tui.setup.interactive: torch leaves a core to the interface)."""

from __future__ import annotations

import os


def loaded_engine():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from wordlens.core.engine import Engine, Sources
    from wordlens.tui.launch import interactive

    engine = Engine.from_sources(interactive(Sources()))
    engine.load_vectors()
    engine.load_model()
    return engine
