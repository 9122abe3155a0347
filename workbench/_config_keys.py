"""A declared ``workbench.toml`` key (:class:`Key`) and the checks of a value's content.

Types and choices are checked in :mod:`workbench.config`; here: numbers are finite and in their
declared range, strings hold no control characters (a value written into a Dockerfile, a
Kubernetes manifest, a TOML file or a log line must not start a line of its own), match their
pattern, and paths stay inside the project folder.
"""

from __future__ import annotations

import builtins
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Any

from workbench.exceptions import ConfigError

__all__ = ["REQUIRED", "Key", "check_content"]

REQUIRED = object()


@dataclass(frozen=True)
class Key:
    """One declared key: its type, default and allowed values.

    Numbers are finite (NaN and infinities are refused) and lie in ``[min, max]`` (an end is open
    with ``exclusive_min`` / ``exclusive_max``; None: unbounded on that side); every numeric key
    declares at least one end. Strings hold no control characters (``multiline`` allows newlines
    and tabs), match ``pattern`` when one is given (``pattern_doc`` says what it admits), and a
    path with ``inside_project`` must stay inside the project folder. ``check`` says why a
    well-typed value is still wrong (None: fine).
    """

    type: builtins.type | tuple[builtins.type, ...]
    default: Any = REQUIRED
    choices: tuple[Any, ...] | None = None
    item_type: builtins.type | None = None
    doc: str = ""
    min: float | None = None
    max: float | None = None
    exclusive_min: bool = False
    exclusive_max: bool = False
    multiline: bool = False
    pattern: str | None = None
    pattern_doc: str = ""
    inside_project: bool = False
    check: Callable[[Any], str | None] | None = None  # why a well-typed value is still wrong (None: fine)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def numeric(self) -> bool:
        """Whether the key holds a number (an int or float key, not a label that may be one)."""
        kinds = self.type if isinstance(self.type, tuple) else (self.type,)
        return set(kinds) <= {int, float}

    def range_text(self) -> str:
        """The allowed range in words, e.g. ``a number > 0 and <= 1``."""
        ends = []
        if self.min is not None:
            ends.append(f"{'>' if self.exclusive_min else '>='} {_number(self.min)}")
        if self.max is not None:
            ends.append(f"{'<' if self.exclusive_max else '<='} {_number(self.max)}")
        kind = "an integer" if self.type is int else "a number"
        return f"{kind} {' and '.join(ends)}" if ends else f"{kind} (finite)"

    def in_range(self, value: float) -> bool:
        if value != value or value in (float("inf"), float("-inf")):  # NaN compares unequal to itself
            return False
        low = self.min is None or (value > self.min if self.exclusive_min else value >= self.min)
        high = self.max is None or (value < self.max if self.exclusive_max else value <= self.max)
        return low and high


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


# Control characters (C0, DEL, C1) and the Unicode line separators: a value written into a
# Dockerfile, a manifest, a TOML file or a log line must not start a line of its own.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def check_content(value: Any, spec: Key, dotted: str, path: Path) -> None:
    """The range of a number; control characters, pattern and confinement of a string (or list of strings)."""
    if spec.numeric and not isinstance(value, bool) and not spec.in_range(float(value)):
        raise ConfigError(
            f"{path}: '{dotted}' = {value!r} is out of range: expected {spec.range_text()}.",
            path=path, key=dotted, value=value, expected=spec.range_text(), hint=spec.doc or None,
        )
    for text in value if isinstance(value, list) else [value]:
        if isinstance(text, str):
            _check_text(text, spec, dotted, path)


def _check_text(text: str, spec: Key, dotted: str, path: Path) -> None:
    found = (_CONTROL_MULTILINE if spec.multiline else _CONTROL).search(text)
    if found:
        expected = "text without control characters" if spec.multiline else "one line of text without control characters"
        raise ConfigError(
            f"{path}: '{dotted}' = {text!r} holds the control character {found.group()!r}: expected {expected}.",
            path=path, key=dotted, value=text, expected=expected,
        )
    if spec.pattern is not None and not re.fullmatch(spec.pattern, text):
        raise ConfigError(
            f"{path}: '{dotted}' = {text!r} is not valid: expected {spec.pattern_doc}.",
            path=path, key=dotted, value=text, expected=spec.pattern_doc,
        )
    if spec.inside_project and text and _leaves_folder(text):
        expected = "a path inside the project folder (relative, not leading out with '..')"
        raise ConfigError(
            f"{path}: '{dotted}' = {text!r} points outside the project folder: expected {expected}.",
            path=path, key=dotted, value=text, expected=expected,
            hint="Copy or link the file into the project and name it relative to the project folder.",
        )


def _leaves_folder(text: str) -> bool:
    """Whether the path ``text`` is absolute or climbs out of the folder it is relative to (lexically)."""
    posix = text.replace("\\", "/")
    if posixpath.isabs(posix) or PureWindowsPath(text).drive:
        return True
    return posixpath.normpath(posix).split("/")[0] == ".."
