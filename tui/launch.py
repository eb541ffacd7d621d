"""Building the explorer the way every command opens it: with the user's config applied."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from wordlens.core.analysis import AnalysisSettings
from wordlens.core.engine import Engine, Sources
from wordlens.tui.config import Config, check_for_app
from wordlens.tui.keys import app_actions
from wordlens.tui.style.theme import THEMES

if TYPE_CHECKING:
    from wordlens.core.uses.corpus import CorpusSource


def interactive(sources: Sources) -> Sources:
    """The sources as the explorer loads them: torch keeps one core free for the interface.
    With a thread on every core, a long text's forward pass starves the event loop (and torch's
    spinning threads lose their core to it in turn), so keys stop echoing while it runs."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return replace(sources, torch_threads=max(1, cores - 1))


def bundled_corpus_or_none():
    """The uses section's corpus (gensim's test data); None when gensim's files are missing."""
    from wordlens.core.errors import LoadError
    from wordlens.core.uses.corpus import bundled_corpus

    try:
        return bundled_corpus()
    except LoadError:
        return None


def make_app(engine: Engine, config: Config, text: str = "", restrict_vocab: int | None = None,
             corpus: CorpusSource | None = None):
    """A WordLensApp with the wordlens themes registered and the config's theme, top-k,
    key bindings and output folder, its uses searching `corpus` (None: the bundled one); raises
    ConfigError for keys or a theme it does not know."""
    from wordlens.tui.app import WordLensApp

    defaults = AnalysisSettings()
    settings = replace(
        defaults,
        topn=config.top_k or defaults.topn,
        restrict_vocab=defaults.restrict_vocab if restrict_vocab is None else restrict_vocab,
    )
    app = WordLensApp(engine, text=text, settings=settings, uses_corpus=corpus or bundled_corpus_or_none())
    for theme in THEMES:
        app.register_theme(theme)
    check_for_app(config, {identity for identity, *_ in app_actions(app)}, set(app.available_themes))
    if config.theme:
        app.theme = config.theme
    if config.keys:
        app.set_keymap(dict(config.keys))
    if config.output_folder is not None:
        app.output_folder = config.output_folder
    return app
