"""The stack-file editor changes only the values asked for: every other byte stays as it was."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from ab_routing.rollout.editor import (
    EditError,
    control_changes,
    edit_file,
    edit_text,
    experiment_start_change,
    stickiness_change,
    weight_changes,
)

REPO = Path(__file__).resolve().parent.parent
P = "ab-routing"
START = "2025-03-04T10:16:00Z"


def diff(before: str, after: str) -> tuple[list[str], list[str]]:
    lines = list(difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)))
    return [d[2:] for d in lines if d.startswith("- ")], [d[2:] for d in lines if d.startswith("+ ")]


@pytest.mark.parametrize(("stack", "old"), [("dev", (90, 10)), ("prod", (95, 5)), ("demo", (90, 10))])
def test_repo_stack_files_change_only_in_the_edited_values(stack: str, old: tuple[int, int]) -> None:
    text = (REPO / f"Pulumi.{stack}.yaml").read_text()
    changes = {
        **weight_changes(P, {"champion": 75, "challenger": 25}),
        **stickiness_change(P, False),
        **experiment_start_change(P, START),
        **control_changes(P, ["champion", "challenger"], "challenger", {"champion": True}),
    }
    out = edit_text(text, changes, P)
    removed, added = diff(text, out)
    assert removed == [
        f"      weight: {old[0]}\n",
        "      control: true\n",
        f"      weight: {old[1]}\n",
        "  ab-routing:stickiness: {enabled: true, duration: 3600}\n",
    ]
    assert added == [
        "      weight: 75\n",
        "      control: false\n",
        "      weight: 25\n",
        "      control: true\n",
        "  ab-routing:stickiness: {enabled: false, duration: 3600}\n",
        f'  ab-routing:experiment: {{start: "{START}"}}\n',
    ]
    config = yaml.safe_load(out)["config"]
    assert config["ab-routing:experiment"]["start"] == START  # text, not a YAML timestamp
    # and back again: reversing the edits gives the original bytes, but for the added lines
    back = edit_text(
        out,
        {
            **weight_changes(P, {"champion": old[0], "challenger": old[1]}),
            **stickiness_change(P, True),
            **control_changes(P, ["champion", "challenger"], "champion", {"challenger": True}),
        },
        P,
    )
    removed, added = diff(text, back)
    assert removed == [] and added == ["      control: false\n", f'  ab-routing:experiment: {{start: "{START}"}}\n']


def test_unchanged_values_leave_the_file_identical() -> None:
    text = (REPO / "Pulumi.prod.yaml").read_text()
    assert edit_text(text, {**weight_changes(P, {"champion": 95, "challenger": 5}), **stickiness_change(P, True)}, P) == text


FLOW = """\
# flow everywhere
config:
  aws:region: us-east-1
  ab-routing:variants: {a: {weight: 50, control: true}, b: {weight: 50, targets: ['i-0aaaaaaaaaaaaaaa1']}}   # trailing comment
  ab-routing:apiKey:
    secure: AAABAHxcq0z1cX2KCXhm1GBKLDvQTOwkuwbl8TzjuFzY0M9xKnixb5+vMMkGwM0Rx4DzZGIj/YAeDSETvAqL8+VkRnxGmWU=
  ab-routing:experiment: {start: '2025-01-01T00:00:00Z', note: "keep me"}
  ab-routing:stickiness: {}
"""


def test_flow_maps_quotes_comments_and_secure_values() -> None:
    out = edit_text(
        FLOW,
        {
            **weight_changes(P, {"a": 5, "b": 95}),
            **experiment_start_change(P, START),
            **stickiness_change(P, False),
            **control_changes(P, ["a", "b"], "b", {"a": True}),
        },
        P,
    )
    assert out.splitlines()[3] == (
        "  ab-routing:variants: {a: {weight: 5, control: false}, b: {control: true, weight: 95, "
        "targets: ['i-0aaaaaaaaaaaaaaa1']}}   # trailing comment"
    )
    assert f"  ab-routing:experiment: {{start: '{START}', note: \"keep me\"}}\n" in out  # single quotes kept
    assert "  ab-routing:stickiness: {enabled: false}\n" in out
    assert out.splitlines()[4:6] == FLOW.splitlines()[4:6]  # the secure value, byte for byte


def test_editing_a_secure_or_structured_value_is_refused() -> None:
    with pytest.raises(EditError, match="not a plain value"):
        edit_text(FLOW, {("ab-routing:apiKey",): 1}, P)
    with pytest.raises(EditError, match="not a map"):
        edit_text(FLOW, {("aws:region", "x"): 1}, P)


BLOCK = """\
config:
  ab-routing:variants:
    a:
      weight: 10      # the champion
      port: 8080
    b:
      weight: 90
      healthCheck:
        path: /ping
  ab-routing:stickiness:
    duration: 600
"""


def test_block_maps_get_new_keys_at_their_siblings_indentation() -> None:
    out = edit_text(
        BLOCK, {**stickiness_change(P, False), **control_changes(P, ["a", "b"], "b", {}), **experiment_start_change(P, START)}, P
    )
    # after the last sibling when its value ends its line; else before the first sibling
    assert out == (
        BLOCK.replace("config:\n", f'config:\n  ab-routing:experiment: {{start: "{START}"}}\n')
        .replace("    b:\n", "    b:\n      control: true\n")
        .replace("    duration: 600\n", "    duration: 600\n    enabled: false\n")
    )
    weights = edit_text(BLOCK, weight_changes(P, {"a": 0, "b": 100}), P)
    assert weights == BLOCK.replace("weight: 10 ", "weight: 0 ").replace("weight: 90", "weight: 100")


def test_crlf_line_endings_and_unnamespaced_keys_are_kept(tmp_path: Path) -> None:
    text = "config:\r\n  variants:\r\n    a: {weight: 1}\r\n    b: {weight: 2}\r\n  ab-routing:x: 1\r\n"
    path = tmp_path / "Pulumi.s.yaml"
    path.write_bytes(text.encode())
    assert edit_file(path, {**weight_changes(P, {"a": 3, "b": 2}), **experiment_start_change(P, START)}, P) is True
    assert (
        path.read_bytes()
        == (
            "config:\r\n  variants:\r\n    a: {weight: 3}\r\n    b: {weight: 2}\r\n  ab-routing:x: 1\r\n"
            f'  ab-routing:experiment: {{start: "{START}"}}\r\n'
        ).encode()
    )
    assert edit_file(path, weight_changes(P, {"a": 3}), P) is False


def test_invalid_yaml_and_missing_config_are_errors() -> None:
    with pytest.raises(EditError, match="not valid YAML"):
        edit_text("config: {a: [\n", weight_changes(P, {"a": 1}), P)
    with pytest.raises(EditError, match="no 'config' map"):
        edit_text("name: x\n", weight_changes(P, {"a": 1}), P)
