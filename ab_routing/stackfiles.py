"""Read `Pulumi.yaml` and `Pulumi.<stack>.yaml` exactly as the Pulumi CLI hands them to a program.

Pulumi parses stack files with Go's yaml.v3 and turns each config value into the string the program
receives (`ab_routing.goyaml` has the rules): a scalar becomes its text as yaml.v3 resolves it
(`0755` -> "493", `yes` -> "yes", `1e3` -> "1000", a timestamp -> Go's time text), a map or list
becomes JSON. Reading the file any other way (PyYAML turned `control: yes` into true) lets the plan
accept files that `pulumi up` rejects. Every command and tool reads stack files through here.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from ab_routing.goyaml import GoTime, GoYamlError, compose, decode, go_json, line_of

STACK_FILE = re.compile(r"(?:(?P<dir>.*)/)?Pulumi\.(?P<stack>[^/]+)\.yaml")


class StackFileError(Exception):
    """A project or stack file is missing or not valid YAML."""


@dataclass(frozen=True)
class StackFiles:
    project: str
    stack: str
    config: dict[str, Any]
    """Full keys (`ab-routing:variants`, `aws:region`) -> what the program sees: the engine's string
    for a scalar (`"493"` for `0755`), the decoded JSON for a map, list or null."""
    strings: dict[str, str] = field(default_factory=dict)
    """Full keys -> the exact strings the engine passes to the program."""
    lines: dict[str, int] = field(default_factory=dict)
    """Full keys -> the line of `Pulumi.<stack>.yaml` that sets them."""
    path: Path | None = None


def stack_argument(directory: Path, stack: str) -> tuple[Path, str]:
    """`--stack` as a stack name (`dev`, or `org/project/dev` as `pulumi` takes it) or as a stack
    file (`Pulumi.dev.yaml`, `deploy/Pulumi.dev.yaml`) -> (project directory, stack name)."""
    match = STACK_FILE.fullmatch(stack)
    if match:
        sub = match.group("dir")
        return (directory / sub if sub else directory), match.group("stack")
    return directory, stack.rsplit("/", 1)[-1]


def stacks_in(directory: Path) -> list[str]:
    """Names of the stacks that have a `Pulumi.<stack>.yaml` in `directory`, sorted."""
    return sorted(m.group("stack") for p in directory.glob("Pulumi.*.yaml") if (m := STACK_FILE.fullmatch(p.name)))


def read_stack(directory: Path, stack: str) -> StackFiles:
    directory, stack = stack_argument(directory, stack)
    project_file = directory / "Pulumi.yaml"
    stack_file = directory / f"Pulumi.{stack}.yaml"
    project_root = _root(project_file)
    name_node = _member(project_root, "name") if project_root is not None else None
    project = decode(name_node) if name_node is not None else None
    if not isinstance(project, str) or not project:
        raise StackFileError(f"{project_file}: no project 'name'")
    if not stack_file.exists():
        existing = stacks_in(directory)
        listed = f"stacks here: {', '.join(existing)}" if existing else "no Pulumi.<stack>.yaml file is there"
        raise StackFileError(f"{stack_file} not found ({listed}); pass --stack <name>")
    root = _root(stack_file)
    config_node = _member(root, "config") if root is not None else None
    config: dict[str, Any] = {}
    strings: dict[str, str] = {}
    lines: dict[str, int] = {}
    if config_node is not None and not (isinstance(config_node, ScalarNode) and _null(config_node)):
        if not isinstance(config_node, MappingNode):
            raise StackFileError(f"{stack_file}:{line_of(config_node)}: 'config' must be a map")
        _check_duplicates(stack_file, config_node)
        for key_node, value_node in config_node.value:
            if not isinstance(key_node, ScalarNode):
                raise StackFileError(f"{stack_file}:{line_of(key_node)}: a config key must be text")
            key = str(key_node.value)
            # The CLI puts a key without a namespace into the project's namespace.
            key = key if ":" in key else f"{project}:{key}"
            text, is_object = _engine_string(stack_file, key, key_node, value_node)
            strings[key] = text
            config[key] = json.loads(text) if is_object else text
            lines[key] = line_of(key_node)
    return StackFiles(project=project, stack=stack, config=config, strings=strings, lines=lines, path=stack_file)


def _engine_string(path: Path, key: str, key_node: Node, node: Node) -> tuple[str, bool]:
    """The string Pulumi stores for a config value and whether it is an object (JSON), as
    config.object's MarshalString does: text for strings and timestamps, JSON for the rest."""
    try:
        value = decode(node)
    except GoYamlError as problem:
        raise StackFileError(f"{path}:{problem.line}: {key}: {problem.message}") from None
    if _has_non_finite(value):
        raise StackFileError(
            f"{path}:{line_of(key_node)}: {key}: .inf and .nan are YAML floats that Pulumi cannot store "
            "(its config is JSON, which has neither); quote them if you mean the text"
        )
    if isinstance(value, str):
        return value, False
    if isinstance(value, GoTime):
        return value.text, False
    if isinstance(value, (bool, int, float)):
        return go_json(value), False
    return go_json(value), True


def _has_non_finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isinf(value) or math.isnan(value)
    if isinstance(value, list):
        return any(_has_non_finite(v) for v in value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    return False


def _root(path: Path) -> MappingNode | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StackFileError(f"{path} not found") from None
    except UnicodeDecodeError as problem:
        raise StackFileError(f"{path}: not UTF-8 text ({problem.reason})") from None
    try:
        root = compose(text)
    except GoYamlError as problem:
        where = f"{path}:{problem.line}" if problem.line else str(path)
        raise StackFileError(f"{where}: not valid YAML: {problem.message}") from None
    if root is None or (isinstance(root, ScalarNode) and _null(root)):
        return None
    if not isinstance(root, MappingNode):
        raise StackFileError(f"{path}:{line_of(root)}: expected a map at the top level")
    _check_duplicates(path, root)
    return root


def _null(node: ScalarNode) -> bool:
    try:
        return decode(node) is None
    except GoYamlError:
        return False


def _check_duplicates(path: Path, root: MappingNode) -> None:
    seen: dict[str, int] = {}
    for key, _ in root.value:
        if isinstance(key, ScalarNode):
            if key.value in seen:
                raise StackFileError(f'{path}:{line_of(key)}: mapping key "{key.value}" already defined at line {seen[key.value]}')
            seen[key.value] = line_of(key)


def _member(root: MappingNode, name: str) -> Node | None:
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value == name:
            return value
    return None
