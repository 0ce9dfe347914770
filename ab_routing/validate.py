"""Small, pure checks that collect problems instead of raising on the first one.

`Checker` records one `ConfigIssue` per problem, each naming the key path, the value received and
what is allowed; it reads maps (with the unknown-key check) and lists, and the key kinds of
`ab_routing.keys` read scalars through it. The
caller turns the collected issues into one `ConfigError` at the end, so a user sees every problem
of a stack at once.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MISSING: object = object()
"""Sentinel for a key that is absent (distinct from an explicit null)."""


@dataclass(frozen=True)
class ConfigIssue:
    """One problem: where it is (`variants.b.weight`), and what is wrong and allowed."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(Exception):
    """The stack config is invalid; `issues` lists every problem found."""

    def __init__(self, issues: Sequence[ConfigIssue], namespace: str = "ab-routing") -> None:
        self.issues = tuple(issues)
        self.namespace = namespace
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.issues)
        head = f"invalid stack config ({n} problem{'s' if n != 1 else ''}); key paths are under '{self.namespace}:'"
        return "\n".join([head, *(f"  - {issue}" for issue in self.issues)])


def show(value: object) -> str:
    """A value as the user wrote it in YAML/JSON terms (strings quoted, null for None)."""
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Checker:
    """Collects issues while reading raw values into plain Python types."""

    def __init__(self) -> None:
        self.issues: list[ConfigIssue] = []

    def fail(self, path: str, value: object, allowed: str) -> None:
        got = "missing" if value is MISSING else f"got {show(value)}"
        self.issues.append(ConfigIssue(path, f"{got}; {allowed}"))

    def note(self, path: str, message: str) -> None:
        self.issues.append(ConfigIssue(path, message))

    # -- containers -------------------------------------------------------------------------

    def mapping(self, value: object, path: str, known: Iterable[str]) -> Mapping[str, object]:
        """`value` as a mapping with string keys; unknown keys are issues (with a suggestion)."""
        if value is MISSING or value is None:
            return {}
        if not isinstance(value, Mapping):
            self.fail(path, value, "must be a map")
            return {}
        known = list(known)
        for key in value:
            if not isinstance(key, str) or key not in known:
                hint = difflib.get_close_matches(str(key), known, n=1)
                suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
                self.note(
                    join(path, str(key)),
                    f"unknown key{suggestion} (allowed: {', '.join(known)})",
                )
        return {str(k): v for k, v in value.items()}

    def string_list(self, value: object, path: str) -> list[str]:
        if value is MISSING or value is None:
            return []
        if not isinstance(value, list):
            self.fail(path, value, "must be a list of strings")
            return []
        out: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, str) and item:
                out.append(item)
            else:
                self.fail(join(path, i), item, "must be a non-empty string")
        return out

    # -- lists ------------------------------------------------------------------------------

    def duplicates(self, items: Sequence[str], path: str) -> None:
        seen: set[str] = set()
        for item in items:
            if item in seen:
                self.fail(path, item, "is listed more than once; list each entry once")
            seen.add(item)


INTEGER_TEXT = re.compile(r" *(-?[0-9]+) *")
"""An integer as the Pulumi CLI may store it: ASCII digits, optional sign and surrounding spaces.
Nothing else: `str.strip()` would also drop control characters that `int()` then rejects."""


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and (match := INTEGER_TEXT.fullmatch(value)):
        return int(match.group(1))
    return None


def cidr_problem(text: str) -> str | None:
    """Why `text` is not a CIDR block such as 10.0.0.0/16 or 2001:db8::/32 (None when it is)."""
    if "/" not in text:
        return "must be a CIDR block with a prefix length, such as 10.0.0.0/16 or 2001:db8::/32"
    try:
        ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            return f"must be a CIDR block such as 10.0.0.0/16 or 2001:db8::/32 ({exc})"
        return f"has host bits set; the network is {network}"
    return None
