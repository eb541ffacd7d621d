"""numpy imported just after the explorer's first frame instead of before it (issue 20: first paint is
measured against a one-line Textual app, and numpy's import is a good part of the difference).

Every module on the first frame's path writes `import numpy as np` and reads `np.` only inside
functions (annotations stay strings under `from __future__ import annotations`), so until an
attribute is read numpy can be a module object whose code has not run yet. `defer_numpy` puts such
an object in sys.modules; the first attribute read (other than the ones the import statement itself
reads) runs numpy's own code in that same object, as importlib's LazyLoader does. LazyLoader itself
cannot be used: Python 3.11's `import numpy` reads `__spec__`, which would load it at once.

Loading is not guarded against two threads at once: `load_deferred` loads it on the main thread
before any of the explorer's threads can read it (App._start_loading and App._analyze_now, which
start the loaders and the analyser; the line's first Edited waits for _start_loading) and before a
headless command runs.
"""

from __future__ import annotations

import importlib.util
import sys
import types

DEFERRED = "numpy"
# What `import numpy` and the import system read of a module already in sys.modules.
_READ_WITHOUT_LOADING = frozenset({"__spec__", "__name__", "__loader__", "__class__"})


class _NotYetRun(types.ModuleType):
    def __getattribute__(self, attribute: str):
        if attribute in _READ_WITHOUT_LOADING:
            return super().__getattribute__(attribute)
        _run(self)
        return getattr(self, attribute)


def _run(module: types.ModuleType) -> None:
    spec = object.__getattribute__(module, "__spec__")
    module.__class__ = types.ModuleType  # from now on a plain module: no more interception
    spec._initializing = True  # what importlib marks while a module's code runs
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(spec.name, None)  # the next `import numpy` tries again, and raises
        raise
    finally:
        spec._initializing = False


def defer_numpy() -> None:
    """Put a not-yet-run numpy in sys.modules, unless numpy is imported already or missing."""
    if DEFERRED in sys.modules:
        return
    spec = importlib.util.find_spec(DEFERRED)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _NotYetRun
    sys.modules[DEFERRED] = module


def is_deferred() -> bool:
    """Whether numpy's code has not run yet."""
    return type(sys.modules.get(DEFERRED)) is _NotYetRun


def load_deferred() -> None:
    """Run numpy's code now (nothing when it has run or was never deferred)."""
    module = sys.modules.get(DEFERRED)
    if type(module) is _NotYetRun:
        _run(module)
