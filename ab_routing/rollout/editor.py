"""Change a few values of `Pulumi.<stack>.yaml` and nothing else.

A rollout commits its weight changes to the stack file, so the diff a reviewer sees must touch only
the values that changed: comments, key order, quoting, line wrapping and secure values stay
byte-for-byte. A YAML round trip (even ruamel.yaml's) re-wraps long lines and re-spaces flow maps,
so this module splices by position instead: the YAML composer (PyYAML's, on libyaml when present:
~1 ms a file where ruamel.yaml's pure-Python composer takes ~50 ms) turns the file into nodes that
carry their start and end character offsets, each changed scalar's text span is replaced (all
splices computed on one parse, applied from the end backwards), and the result is parsed again and
compared with the intended config; any difference is an `EditError` and nothing is written.

A key that does not exist yet (`control` on a variant, `ab-routing:experiment`) is inserted as one
line at the indentation of its siblings, after the last sibling whose value ends on its own line
(else before the first sibling); into a flow map (`{enabled: true}`) it goes right after the `{`.
Deeper missing levels are written as flow maps: `ab-routing:experiment: {start: "..."}`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Scalar = int | bool | str
KeyPath = tuple[str, ...]
"""Keys under `config:`, the first in full form: ("ab-routing:variants", "champion", "weight")."""


class EditError(Exception):
    """The file cannot be edited safely (unexpected shape, or the re-parse disagrees)."""


def render(value: Scalar, style: str | None = None) -> str:
    """A scalar as YAML text. Strings are always quoted (single quotes kept when the old value used
    them), so a timestamp such as 2025-01-01T00:00:00Z stays text for every YAML reader."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _compose(text: str) -> MappingNode:
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as problem:
        raise EditError(f"not valid YAML ({problem})") from None
    if not isinstance(node, MappingNode):
        raise EditError("expected a map at the top level")
    return node


def _find(mapping: MappingNode, key: str) -> tuple[Node, Node] | None:
    return next(((k, v) for k, v in mapping.value if isinstance(k, ScalarNode) and k.value == key), None)


def _config_node(root: MappingNode) -> MappingNode:
    found = _find(root, "config")
    if found is None or not isinstance(found[1], MappingNode):
        raise EditError("no 'config' map")
    return found[1]


def _nested(keys: Sequence[str], value: Scalar) -> str:
    if len(keys) == 1:
        return f"{keys[0]}: {render(value)}"
    return f"{keys[0]}: {{{_nested(keys[1:], value)}}}"


Splice = tuple[int, int, str]
"""Replace text[start:end] with the string."""


def _insert(text: str, mapping: MappingNode, keys: Sequence[str], value: Scalar) -> Splice:
    entry = _nested(keys, value)
    if mapping.flow_style:
        at = mapping.start_mark.index + 1  # just after "{"
        return at, at, entry + (", " if mapping.value else "")
    if not mapping.value:
        raise EditError(f"cannot insert {keys[0]!r} into an empty block map")
    eol = "\r\n" if "\r\n" in text else "\n"
    first_key = mapping.value[0][0]
    indent = " " * first_key.start_mark.column
    last_value = mapping.value[-1][1]
    if isinstance(last_value, ScalarNode) or getattr(last_value, "flow_style", False):
        line_end = text.find("\n", last_value.end_mark.index)
        if line_end == -1:
            return len(text), len(text), eol + indent + entry + eol
        return line_end + 1, line_end + 1, indent + entry + eol
    at = first_key.start_mark.index
    return at, at, entry + eol + indent


def _splice(text: str, root: MappingNode, path: KeyPath, value: Scalar, project: str) -> Splice:
    mapping = _config_node(root)
    top, *rest = path
    short = top.split(":", 1)[1] if top.startswith(f"{project}:") else None
    keys = [top, *rest]
    for depth, key in enumerate(keys):
        candidates = [key] if depth or short is None else [key, short]
        found = next((f for f in (_find(mapping, c) for c in candidates) if f is not None), None)
        if found is None:
            return _insert(text, mapping, keys[depth:], value)
        node = found[1]
        if depth == len(keys) - 1:
            if not isinstance(node, ScalarNode):
                raise EditError(f"{'.'.join(keys)} is not a plain value (secure or structured); edit it by hand")
            return node.start_mark.index, node.end_mark.index, render(value, node.style)
        if isinstance(node, ScalarNode) and node.tag.endswith(":null"):
            raise EditError(f"{'.'.join(keys[: depth + 1])} is null; give it a map or remove it first")
        if not isinstance(node, MappingNode):
            raise EditError(f"{'.'.join(keys[: depth + 1])} is not a map (JSON text or secure value?); edit it by hand")
        mapping = node
    raise AssertionError("unreachable")


def _get(doc: Mapping[str, Any], path: KeyPath, project: str) -> object:
    config = doc.get("config") or {}
    top, *rest = path
    short = top.split(":", 1)[1] if top.startswith(f"{project}:") else top
    node: object = config.get(top, config.get(short)) if isinstance(config, Mapping) else None
    for key in rest:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _set(doc: dict[str, Any], path: KeyPath, value: Scalar, project: str) -> None:
    config = doc.setdefault("config", {})
    top, *rest = path
    short = top.split(":", 1)[1] if top.startswith(f"{project}:") else top
    key = top if top in config or short not in config else short
    node = config
    for k in [key, *rest][:-1]:
        node = node.setdefault(k, {})
    node[[key, *rest][-1]] = value


def _load(text: str) -> dict[str, Any]:
    # The safe loader's types are what ab_routing.stackfiles reads with.
    doc = yaml.load(text, Loader=Loader) or {}
    if not isinstance(doc, dict):
        raise EditError("expected a map at the top level")
    return doc


def edit_text(text: str, changes: Mapping[KeyPath, Scalar], project: str) -> str:
    """`text` with each value of `changes` set; values already equal are left alone (no diff)."""
    try:
        before = _load(text)
    except yaml.YAMLError as problem:
        raise EditError(f"not valid YAML ({problem})") from None
    expected = copy.deepcopy(before)
    root = _compose(text)
    splices: list[tuple[int, int, Splice]] = []
    for order, (path, value) in enumerate(changes.items()):
        current = _get(before, path, project)
        if current == value and type(current) is type(value):
            continue
        splice = _splice(text, root, path, value, project)
        splices.append((splice[0], -order, splice))
        _set(expected, path, value, project)
    out = text
    previous_start = len(text) + 1
    for _, _, (start, end, new) in sorted(splices, reverse=True):
        if end > previous_start:
            raise EditError("two changes overlap; nothing was written")
        out = out[:start] + new + out[end:]
        previous_start = start
    try:
        after = _load(out)
    except yaml.YAMLError as problem:
        raise EditError(f"the edit would make the file invalid YAML ({problem})") from None
    if after != expected:
        raise EditError("the edited file does not parse to the intended config; nothing was written")
    return out


def edit_file(path: Path, changes: Mapping[KeyPath, Scalar], project: str) -> bool:
    """Edit `path` in place (bytes, line endings kept); True when something changed."""
    try:
        raw = path.read_bytes()
    except OSError as problem:
        raise EditError(f"{path}: cannot read ({problem.strerror})") from None
    text = raw.decode("utf-8")
    try:
        out = edit_text(text, changes, project)
    except EditError as problem:
        raise EditError(f"{path}: {problem}") from None
    if out == text:
        return False
    tmp = path.with_name(path.name + ".ab-routing.tmp")
    tmp.write_bytes(out.encode("utf-8"))
    tmp.replace(path)
    return True


def variant_key(project: str) -> str:
    return f"{project}:variants"


def weight_changes(project: str, weights: Mapping[str, int]) -> dict[KeyPath, Scalar]:
    return {(variant_key(project), name, "weight"): w for name, w in weights.items()}


def stickiness_change(project: str, enabled: bool) -> dict[KeyPath, Scalar]:
    return {(f"{project}:stickiness", "enabled"): enabled}


def experiment_start_change(project: str, start: str) -> dict[KeyPath, Scalar]:
    return {(f"{project}:experiment", "start"): start}


def control_changes(project: str, variants: Sequence[str], control: str, current: Mapping[str, bool]) -> dict[KeyPath, Scalar]:
    """`control` becomes the one control: true on it, false where another variant had it set."""
    changes: dict[KeyPath, Scalar] = {(variant_key(project), control, "control"): True}
    for name in variants:
        if name != control and current.get(name):
            changes[(variant_key(project), name, "control")] = False
    return changes
