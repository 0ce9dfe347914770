"""The region is found as the AWS provider finds it, in every command; friendlier edges of the CLI."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from ab_routing.__main__ import main
from ab_routing.commands import CommandError, load_stack
from ab_routing.region import Region, RegionError, resolve_region
from ab_routing.stackfiles import StackFileError, read_stack, stack_argument

ROOT = Path(__file__).resolve().parent.parent

NO_REGION_NO_CONTROL = """\
config:
  ab-routing:variants:
    champion: {weight: 90, targets: [i-0123456789abcdef0]}
    challenger: {weight: 10, targets: [i-0aaaaaaaaaaaaaaa1]}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.bare.yaml").write_text(NO_REGION_NO_CONTROL)
    return tmp_path


def write_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: str, region: str) -> None:
    config = tmp_path / "aws-config"
    section = "default" if profile == "default" else f"profile {profile}"
    config.write_text(f"[{section}]\nregion = {region}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))


# -- region ---------------------------------------------------------------------------------------


def test_region_order_is_the_providers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_profile(tmp_path, monkeypatch, "ml", "ap-south-1")
    monkeypatch.setenv("AWS_PROFILE", "ml")
    assert resolve_region({}).name == "ap-south-1"
    assert resolve_region({}).source == "profile ml"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert resolve_region({}).name == "eu-central-1"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert resolve_region({}).name == "eu-west-1"
    assert resolve_region({"aws:region": "us-west-2"}).name == "us-west-2"


def test_aws_profile_in_the_stack_picks_the_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_profile(tmp_path, monkeypatch, "ml", "ap-south-1")
    assert resolve_region({"aws:profile": "ml"}).name == "ap-south-1"
    with pytest.raises(RegionError, match="profile 'nope' not found"):
        resolve_region({"aws:profile": "nope"})


def test_no_region_anywhere_names_aws_region() -> None:
    with pytest.raises(RegionError, match=r"no AWS region: set aws:region in the stack"):
        resolve_region({})
    assert resolve_region({}, chosen="sa-east-1").name == "sa-east-1"


def test_the_region_flag_stands_in_for_environment_and_profile_but_never_contradicts_the_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert resolve_region({}, chosen="ap-south-1", flag="--region") == Region("ap-south-1", "--region")
    assert resolve_region({"aws:region": "us-west-2"}, chosen="us-west-2").name == "us-west-2"
    with pytest.raises(RegionError, match="--region ap-south-1 but the stack sets aws:region us-west-2, where its resources are"):
        resolve_region({"aws:region": "us-west-2"}, chosen="ap-south-1", flag="--region")


def test_plan_without_a_region_exits_2_naming_aws_region(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--stack", "bare", "--dir", str(project)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: no AWS region: set aws:region")


def test_plan_takes_the_region_from_the_environment_and_warns_without_control(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert main(["plan", "--stack", "bare", "--dir", str(project)]) == 0
    out, err = capsys.readouterr()
    assert "dashboardUrl: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#" in out
    assert ".us-east-1." not in out
    # The warning is the program's own pulumi.log.warn, as `pulumi up` would show it.
    assert err == "warning: no variant has `control: true`: the stack is fine, but `report` needs one variant to compare the others with\n"
    assert "  accessLogsBucket: -\n" in out and "None" not in out


def test_report_and_other_commands_resolve_the_region_the_same_way(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = argparse.Namespace(dir=project, stack="bare", region=None)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    assert load_stack(args)[1].region == "eu-north-1"
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(CommandError, match="no AWS region: pass --region or set aws:region"):
        load_stack(args)
    assert load_stack(argparse.Namespace(dir=project, stack="bare", region="me-south-1"))[1].region == "me-south-1"


# -- edges ----------------------------------------------------------------------------------------


def test_a_missing_stack_lists_the_stacks_there(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "Pulumi.prod.yaml").write_text("config: {}\n")
    assert main(["plan", "--stack", "staging", "--dir", str(project)]) == 2
    _, err = capsys.readouterr()
    assert "Pulumi.staging.yaml not found (stacks here: bare, prod); pass --stack <name>" in err
    empty = project / "empty"
    empty.mkdir()
    shutil.copy(project / "Pulumi.yaml", empty / "Pulumi.yaml")
    with pytest.raises(StackFileError, match=r"no Pulumi.<stack>.yaml file is there"):
        read_stack(empty, "dev")


@pytest.mark.parametrize(
    ("given", "directory", "stack"),
    [
        ("prod", ".", "prod"),
        ("Pulumi.prod.yaml", ".", "prod"),
        ("deploy/Pulumi.eu.prod.yaml", "deploy", "eu.prod"),
        ("acme/ab-routing/prod", ".", "prod"),
    ],
)
def test_stack_argument_forms(given: str, directory: str, stack: str) -> None:
    assert stack_argument(Path("."), given) == (Path(directory), stack)


def test_stack_given_as_its_file_name_is_understood(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--stack", "Pulumi.bare.yaml", "--dir", str(project)]) == 2
    _, err = capsys.readouterr()
    assert "no AWS region" in err and "not found" not in err


def test_report_given_a_plan_document_says_to_pass_its_outputs(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    (project / "Pulumi.bare.yaml").write_text(NO_REGION_NO_CONTROL.replace("i-0123456789abcdef0]}", "i-0123456789abcdef0], control: true}"))
    plan_document = project / "plan.json"
    plan_document.write_text(json.dumps({"project": "ab-routing", "stack": "bare", "resources": [], "outputs": {"url": "http://x"}}))
    assert main(["report", "--stack", "bare", "--dir", str(project), "--outputs", str(plan_document)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"error: {plan_document}: this is a `plan --json` document; pass its `outputs` object instead" in err


def test_commands_see_the_plain_stack_name_when_given_the_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # report, rollout and the rest go through load_stack, which normalises --stack for them.
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    args = argparse.Namespace(dir=project.parent, stack=f"{project.name}/Pulumi.bare.yaml", region=None)
    files, config = load_stack(args)
    assert (args.dir, args.stack, files.stack, config.region) == (project, "bare", "bare", "eu-west-1")
