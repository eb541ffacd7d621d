"""The user's defaults: $XDG_CONFIG_HOME/wordlens/config.toml (~/.config/wordlens/config.toml).

    vectors = "~/vectors/word2vec.bin"   # as --vectors
    model = "~/models/bert-base-cased"   # as --model
    theme = "wordlens"                   # any Textual theme (ctrl+p: "theme" lists them)
    top_k = 15                           # static neighbours per word
    output_folder = "~/wordlens-out"     # where ctrl+s screenshots and x exports go

    [keys]                               # action id = "key" or "key1,key2" (ids: see ctrl+p)
    export = "ctrl+e"
    layer_next = "right_square_bracket,n"

Command-line options win over the file. A file that cannot be read or holds anything unknown
is an error (one line naming the file), never silently ignored.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wordlens.core.errors import WordlensError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class ConfigError(WordlensError):
    pass


@dataclass(frozen=True)
class Config:
    path: Path | None = None  # the file read, None when there is none
    vectors: str | None = None
    model: str | None = None
    theme: str | None = None
    top_k: int | None = None
    output_folder: Path | None = None
    keys: Mapping[str, str] = field(default_factory=dict)


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "wordlens" / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """The config at `path` (default: config_path()); an empty Config when there is no file."""
    path = config_path() if path is None else path
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {getattr(error, 'strerror', None) or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return parse_config(data, path)


_TEXT_FIELDS = ("vectors", "model", "theme")


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    unknown = sorted(set(data) - {*_TEXT_FIELDS, "top_k", "output_folder", "keys"})
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r} (known: vectors, model, theme, top_k, "
                          "output_folder, [keys])")
    values: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        if name in data:
            values[name] = _text(data[name], name, path)
    for name in ("vectors", "model"):
        if name in values and values[name].startswith("~"):
            values[name] = str(Path(values[name]).expanduser())
    if "top_k" in data:
        top_k = data["top_k"]
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 100:
            raise ConfigError(f"{path}: top_k must be a whole number from 1 to 100, got {top_k!r}")
        values["top_k"] = top_k
    if "output_folder" in data:
        values["output_folder"] = Path(_text(data["output_folder"], "output_folder", path)).expanduser()
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise ConfigError(f"{path}: keys must be a table: [keys] then lines like export = \"ctrl+e\"")
    for action, key in keys.items():
        _text(key, f"keys.{action}", path)
    return Config(path=path, keys=dict(keys), **values)


def _text(value: Any, name: str, path: Path) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: {name} must be a non-empty string, got {value!r}")
    return value.strip()


def check_for_app(config: Config, action_ids: set[str], themes: set[str]) -> None:
    """What needs the app to check: key names, action ids and the theme name."""
    if config.keys:  # the tape player (Pilot and all) only when there are keys to check, not before every first frame
        from wordlens.tui.demo.play import is_key_name
    where = config.path
    for action, keys in config.keys.items():
        if action not in action_ids:
            raise ConfigError(f"{where}: [keys] {action!r} is not an action (known: {', '.join(sorted(action_ids))})")
        for key in keys.split(","):
            if not is_key_name(key.strip()):
                raise ConfigError(f"{where}: [keys] {action} = {keys!r}: {key.strip()!r} is not a key name "
                                  "(e.g. x, ctrl+e, f5, right_square_bracket)")
    if config.theme is not None and config.theme not in themes:
        raise ConfigError(f"{where}: unknown theme {config.theme!r} (known: {', '.join(sorted(themes))})")
