"""Saving what is on screen: an SVG screenshot (`ctrl+s`, on the UI thread: it renders the
screen) and the current view's numbers (`x`, in the background: JSON, CSV and NPZ)."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from wordlens.core.errors import WordlensError
from wordlens.core.reports.export import export_view, free_stem, write_export
from wordlens.tui.state import ViewState


def save_screen(app: App, folder: Path) -> Path:
    """The screen as `folder/wordlens-DATE.svg`; raises WordlensError when it cannot be written."""
    try:
        return Path(app.save_screenshot(filename=f"{free_stem(folder)}.svg", path=str(folder)))
    except OSError as error:
        raise WordlensError(f"cannot write to {folder}: {error.strerror or error}") from error


def export_files(view: ViewState, folder: Path) -> list[Path]:
    """The view's tokens, matrix and neighbour lists as files in `folder`."""
    if view.analysis is None:
        raise WordlensError("Nothing to export yet: the sentence is still being analysed.")
    return write_export(export_view(view.analysis, view.spec, view.focus, view.target), folder, free_stem(folder))
