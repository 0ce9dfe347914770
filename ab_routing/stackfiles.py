"""Read `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI would hand them to a program."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class StackFileError(Exception):
    """A project or stack file is missing or not valid YAML."""


@dataclass(frozen=True)
class StackFiles:
    project: str
    stack: str
    config: dict[str, Any]
    """Full keys (`ab-routing:variants`, `aws:region`) -> values as YAML parsed them."""


def read_stack(directory: Path, stack: str) -> StackFiles:
    project_file = directory / "Pulumi.yaml"
    stack_file = directory / f"Pulumi.{stack}.yaml"
    project_doc = _load(project_file)
    project = project_doc.get("name")
    if not isinstance(project, str) or not project:
        raise StackFileError(f"{project_file}: no project 'name'")
    stack_doc = _load(stack_file)
    raw = stack_doc.get("config") or {}
    if not isinstance(raw, dict):
        raise StackFileError(f"{stack_file}: 'config' must be a map")
    config: dict[str, Any] = {}
    for key, value in raw.items():
        key = str(key)
        # The CLI puts a key without a namespace into the project's namespace.
        config[key if ":" in key else f"{project}:{key}"] = value
    return StackFiles(project=project, stack=stack, config=config)


def _load(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StackFileError(f"{path} not found") from None
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict):
        raise StackFileError(f"{path}: expected a map at the top level")
    return doc
