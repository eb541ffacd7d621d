"""The base of wordlens's modal screens. The explorer's keys are App bindings with the `screen.`
namespace, so while a dialog is on top they resolve to the dialog: one it has no action for is
neither run nor shown in its footer."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

Result = TypeVar("Result")


class Dialog(ModalScreen[Result]):
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return hasattr(self, f"action_{action}")
