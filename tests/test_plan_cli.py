"""`python -m ab_routing plan`: text, JSON, determinism and bad input.

One run goes through a fresh interpreter as a user would (`python -X dev -m ab_routing plan --json`,
which also reports any event loop left for the garbage collector); the others call the command's
`main` in-process, which is the same code path without the interpreter start-up."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ab_routing.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


def plan(*args: str) -> subprocess.CompletedProcess[str]:
    """`plan` in-process, as `python -m ab_routing plan` from the repository root would run it."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["plan", *args] if "--dir" in args else ["plan", "--dir", str(ROOT), *args]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def dev_process() -> subprocess.CompletedProcess[str]:
    """The dev plan in its own interpreter, in Python's dev mode (which reports unclosed loops)."""
    return subprocess.run(
        [sys.executable, "-X", "dev", "-W", "ignore::DeprecationWarning", "-m", "ab_routing", "plan", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture(scope="module")
def dev_json(dev_process: subprocess.CompletedProcess[str]) -> dict:
    assert dev_process.returncode == 0, dev_process.stderr
    return json.loads(dev_process.stdout)


def test_json_has_the_documented_shape(dev_json: dict) -> None:
    assert dev_json["stack"] == "dev"
    shares = [(v["name"], v["weight"], v["share"]) for v in dev_json["variants"]]
    assert shares == [("challenger", 10, 10.0), ("champion", 90, 90.0)]
    for resource in dev_json["resources"]:
        assert set(resource) == {"urn", "type", "name", "parent", "inputs"}
    types = [r["type"] for r in dev_json["resources"]]
    assert types[0] == "pulumi:pulumi:Stack"
    assert types.count("aws:lb/targetGroup:TargetGroup") == 2
    assert types.count("awsx:lb:ApplicationLoadBalancer") == 1


def test_resources_come_parents_first_and_inputs_are_camel_case(dev_json: dict) -> None:
    seen: set[str] = set()
    for resource in dev_json["resources"]:
        assert resource["parent"] is None or resource["parent"] in seen, resource["urn"]
        seen.add(resource["urn"])
    alb = next(r for r in dev_json["resources"] if r["type"] == "awsx:lb:ApplicationLoadBalancer")
    assert "defaultActions" in alb["inputs"]["listeners"][0]
    assert alb["inputs"]["listeners"][0]["defaultActions"][0]["forward"]["stickiness"] == {"duration": 3600, "enabled": True}


def test_awsx_children_are_listed_apart_including_the_default_target_group(dev_json: dict) -> None:
    urns = {r["urn"] for r in dev_json["resources"]}
    children = dev_json["awsxChildren"]
    assert children and not urns & {c["urn"] for c in children}
    default = [c for c in children if c["type"] == "aws:lb/targetGroup:TargetGroup"]
    assert len(default) == 1 and "nothing forwards to it" in default[0]["role"]


def test_same_config_gives_the_same_bytes(dev_process: subprocess.CompletedProcess[str]) -> None:
    # Across processes (hash seeds differ) and within one process (no state kept between runs).
    in_process = plan("--json")
    assert in_process.returncode == 0
    assert in_process.stdout == dev_process.stdout
    assert plan().stdout == plan().stdout


def test_text_plan_shows_variants_table_and_resource_tree() -> None:
    result = plan()
    assert result.returncode == 0 and result.stderr == ""
    out = result.stdout
    assert "nothing was deployed" in out
    header = next(line for line in out.splitlines() if "VARIANT" in line)
    assert all(col in header for col in ("WEIGHT", "SHARE", "PORT", "TARGETS", "HEALTH CHECK"))
    assert any(line.split()[:4] == ["champion", "yes", "90", "90.00%"] for line in out.splitlines())
    assert "└─ ab-routing:index:AbRouting  ab-routing" in out
    assert "default target group awsx always creates" in out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path


def write_stack(project: Path, name: str, config: dict) -> None:
    """A stack file with `config` (and aws:region us-east-1 unless given: plans need a region)."""
    (project / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": {"aws:region": "us-east-1", **config}}))


def test_invalid_config_lists_every_error_on_stderr_and_exits_2(project: Path) -> None:
    write_stack(
        project,
        "bad",
        {
            "ab-routing:variants": {"a": {"weight": 1000}, "b": {"wieght": 1}},
            "ab-routing:stickiness": {"duration": 0},
        },
    )
    result = plan("--stack", "bad", "--dir", str(project))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "variants.a.weight: got 1000; must be an integer from 0 to 999" in result.stderr
    assert "variants.b.wieght: unknown key; did you mean 'weight'?" in result.stderr
    assert "variants.b.weight: missing" in result.stderr
    assert "stickiness.duration: got 0" in result.stderr


def test_missing_stack_file_is_a_clear_error(project: Path) -> None:
    result = plan("--stack", "nope", "--dir", str(project))
    assert result.returncode == 2
    assert "Pulumi.nope.yaml not found" in result.stderr and "Traceback" not in result.stderr


def test_keys_without_namespace_belong_to_the_project(project: Path) -> None:
    write_stack(project, "short", {"variants": {"a": {"weight": 1}, "b": {"weight": 3}}})
    result = plan("--stack", "short", "--dir", str(project), "--json")
    assert result.returncode == 0, result.stderr
    assert [v["share"] for v in json.loads(result.stdout)["variants"]] == [25.0, 75.0]


def test_prod_example_plans_cleanly_with_its_production_features() -> None:
    result = plan("--stack", "prod", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)
    alb = next(r for r in document["resources"] if r["type"] == "awsx:lb:ApplicationLoadBalancer")["inputs"]
    assert [listener["protocol"] for listener in alb["listeners"]] == ["HTTP", "HTTPS"]
    assert alb["enableDeletionProtection"] is True
    assert alb["accessLogs"]["enabled"] is True
    assert len(alb["subnetIds"]) == 3
    assert document["outputs"]["url"] == "https://models.example.com"
    rules = [r for r in document["resources"] if r["type"] == "aws:lb/listenerRule:ListenerRule"]
    assert all({"sourceIp": {"values": ["203.0.113.0/24"]}} in r["inputs"]["conditions"] for r in rules)


def test_report_is_wired_into_the_command_line_and_fails_cleanly_without_outputs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ab_routing", "report", "--stack", "dev", "--outputs", str(tmp_path / "missing.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "missing.json" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_plan_leaves_no_event_loop_for_the_garbage_collector(dev_process: subprocess.CompletedProcess[str]) -> None:
    # Unclosed loops are closed by the collector at exit, sometimes after their sockets, which
    # printed an intermittent "Exception ignored ... Bad file descriptor" on stderr. Python's dev
    # mode reports every unclosed loop, so this catches the cause every time, not once in a while.
    assert dev_process.returncode == 0, dev_process.stderr
    assert "unclosed event loop" not in dev_process.stderr
    assert "Exception ignored" not in dev_process.stderr
