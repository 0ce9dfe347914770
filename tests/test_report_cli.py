"""`report` as a user meets it: flags, bad input (exit 2, a message, no traceback), the window, the verdicts.

`python -m ab_routing report` is wired in `ab_routing/__main__.py`; here the subcommand is built with
`add_report_parser` on a parser of its own and run with `run_report`, as `__main__` does.
"""

from __future__ import annotations

import argparse
import json
import stat
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ab_routing.report.cli import add_report_parser, run_report
from ab_routing.report.window import make_window, parse_since
from tests.support import make_project, write_outputs, write_stack

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = "i-0123456789abcdef0"
LOAD_BALANCER = "app/ab-routing-4f2a/50dc6c495c0c9188"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ab_routing")
    add_report_parser(p.add_subparsers(dest="command", required=True))
    return p


def variants_config(control: str | None = "champion") -> dict[str, Any]:
    return {
        name: {"weight": weight, "targets": [INSTANCE], **({"control": True} if name == control else {})}
        for name, weight in (("champion", 90), ("challenger", 10))
    }


def good_outputs() -> dict[str, Any]:
    return {
        "loadBalancerArnSuffix": LOAD_BALANCER,
        "variants": {
            name: {
                "targetGroupArn": f"arn:aws:...:{name}",
                "targetGroupArnSuffix": f"targetgroup/{name}/1",
                "weight": w,
                "share": float(w),
            }
            for name, w in (("champion", 90), ("challenger", 10))
        },
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    make_project(tmp_path, {"aws:region": "eu-west-1", "ab-routing:variants": variants_config()})
    write_outputs(tmp_path, good_outputs())
    return tmp_path


class EmptyCloudWatch:
    """A CloudWatch that has no data points: enough to get past everything before the metrics."""

    def __init__(self, region: str | None) -> None:
        self.meta = SimpleNamespace(region_name=region)
        self.calls = 0

    def get_metric_data(self, **kwargs: Any) -> Mapping[str, Any]:
        self.calls += 1
        return {
            "MetricDataResults": [
                {"Id": q["Id"], "Timestamps": [], "Values": [], "StatusCode": "Complete"} for q in kwargs["MetricDataQueries"]
            ]
        }


def run(capsys: pytest.CaptureFixture[str], *argv: str, real_boto3: bool = False) -> tuple[int, str, str]:
    args = parser().parse_args(["report", *argv])
    clients: list[EmptyCloudWatch] = []

    def factory(region: str | None) -> Any:
        clients.append(EmptyCloudWatch(region))
        return clients[-1]

    code = run_report(args) if real_boto3 else run_report(args, client_factory=factory)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# -- flags -----------------------------------------------------------------------------------------


def test_defaults_and_flags_parse() -> None:
    args = parser().parse_args(["report"])
    assert (args.stack, args.dir, args.outputs, args.since, args.start, args.region, args.tau, args.json) == (
        "dev",
        Path("."),
        None,
        None,
        None,
        None,
        None,
        False,
    )
    assert (args.metrics_file, args.save_metrics) == (None, None)
    args = parser().parse_args(
        ["report", "--stack", "prod", "--since", "1d", "--region", "eu-west-1", "--tau", "0.005", "--json",
         "--start", "2026-11-22T10:00:00Z", "--metrics-file", "m.csv", "--save-metrics", "out.csv"]
    )  # fmt: skip
    assert (args.stack, args.since.text, args.since.seconds, args.region, args.tau, args.json) == (
        "prod",
        "1d",
        86400,
        "eu-west-1",
        0.005,
        True,
    )
    assert args.start == datetime(2026, 11, 22, 10, tzinfo=UTC)
    assert (args.metrics_file, args.save_metrics) == (Path("m.csv"), Path("out.csv"))


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--since", "2 hours", "e.g. 30m, 2h, 1d"),
        ("--since", "500d", "455 days"),
        ("--tau", "2", "between 0 and 1"),
        ("--start", "2026-11-22 10:00", "with a zone, e.g. 2026-11-22T10:00:00Z"),
    ],
)
def test_bad_flag_values_exit_2_with_a_message(flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args(["report", flag, value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


# -- window ----------------------------------------------------------------------------------------


def test_window_ends_at_the_last_whole_minute_and_uses_one_minute_looks_up_to_a_day() -> None:
    now = datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC)
    window = make_window(now, parse_since("2h"))
    assert window.end == datetime(2026, 3, 1, 12, 34, tzinfo=UTC)
    assert window.start == window.end - timedelta(hours=2)
    assert (window.period, window.periods) == (60, 120)
    day = make_window(now, parse_since("1d"))
    assert (day.period, day.periods) == (60, 1440)


@pytest.mark.parametrize(("since", "granularity"), [("7d", 60), ("30d", 300), ("90d", 3600), ("455d", 3600)])
def test_long_windows_respect_cloudwatch_period_rules_and_the_look_cap(since: str, granularity: int) -> None:
    window = make_window(datetime(2026, 3, 1, 12, 34, 56, tzinfo=UTC), parse_since(since))
    assert window.period % granularity == 0 and window.periods <= 1440
    assert window.start.timestamp() % granularity == 0
    assert window.end - window.start >= timedelta(seconds=parse_since(since).seconds)
    assert window.index(window.start) == 0 and window.index(window.end) is None
    assert window.index(window.end - timedelta(seconds=1)) == window.periods - 1


# -- bad input -------------------------------------------------------------------------------------


def test_missing_outputs_file_exits_2_and_says_how_to_make_one(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = project / "nope.json"
    code, out, err = run(capsys, "--dir", str(project), "--outputs", str(missing))
    assert code == 2 and out == ""
    assert f"outputs file {missing} not found" in err and "pulumi stack output --json" in err


def test_outputs_that_are_not_json_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "outputs.json"
    path.write_text("Current stack outputs (5):")
    code, _, err = run(capsys, "--dir", str(project), "--outputs", str(path))
    assert code == 2 and "not valid JSON" in err


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda o: o.pop("loadBalancerArnSuffix"), "'loadBalancerArnSuffix' is missing"),
        (lambda o: o.pop("variants"), "'variants' is missing"),
        (
            lambda o: o["variants"]["challenger"].pop("targetGroupArnSuffix"),
            "'variants.challenger.targetGroupArnSuffix' is missing",
        ),
        (lambda o: o["variants"]["champion"].update(weight="90"), "'variants.champion.weight' is \"90\""),
    ],
)
def test_a_missing_or_bad_output_is_named_and_exits_2(project: Path, capsys: pytest.CaptureFixture[str], edit: Any, named: str) -> None:
    outputs = good_outputs()
    edit(outputs)
    code, out, err = run(capsys, "--dir", str(project), "--outputs", str(write_outputs(project, outputs)))
    assert code == 2 and out == ""
    assert named in err


def test_no_control_variant_exits_2_and_says_to_set_one(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_stack(project, {"aws:region": "eu-west-1", "ab-routing:variants": variants_config(control=None)})
    code, out, err = run(capsys, "--dir", str(project), "--outputs", str(project / "outputs.json"))
    assert code == 2 and out == ""
    assert "no control variant" in err and "set `control: true` on exactly one variant" in err


def test_two_control_variants_are_a_config_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = variants_config()
    config["challenger"]["control"] = True
    write_stack(project, {"aws:region": "eu-west-1", "ab-routing:variants": config})
    code, _, err = run(capsys, "--dir", str(project), "--outputs", str(project / "outputs.json"))
    assert code == 2 and "invalid stack config" in err


def test_control_not_deployed_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = good_outputs()
    outputs["variants"].pop("champion")
    code, _, err = run(capsys, "--dir", str(project), "--outputs", str(write_outputs(project, outputs)))
    assert code == 2 and "control variant 'champion' is not deployed" in err


def test_missing_stack_file_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--dir", str(project), "--stack", "staging", "--outputs", str(project / "outputs.json"))
    assert code == 2 and "Pulumi.staging.yaml not found" in err


def test_without_pulumi_cli_it_says_so_and_suggests_outputs(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty-bin")))
    code, out, err = run(capsys, "--dir", str(project))
    assert code == 2 and out == ""
    assert "the pulumi CLI is not installed or not on PATH" in err and "--outputs FILE" in err


def fake_pulumi(bin_dir: Path, script: str) -> None:
    path = bin_dir / "pulumi"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_outputs_come_from_the_pulumi_cli_for_the_chosen_stack(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bin_dir = tmp_path_factory.mktemp("bin")
    (bin_dir / "outputs.json").write_text(json.dumps(good_outputs()))
    fake_pulumi(bin_dir, f'echo "$@" > {bin_dir}/args; cat {bin_dir}/outputs.json')
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    code, _, err = run(capsys, "--dir", str(project))
    assert (bin_dir / "args").read_text().split() == ["stack", "output", "--json", "--stack", "dev"]
    # the outputs were used: their load balancer is what CloudWatch (empty here) was asked about
    assert code == 1 and f"LoadBalancer={LOAD_BALANCER}" in err


def test_a_failing_pulumi_cli_passes_its_message_on(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bin_dir = tmp_path_factory.mktemp("bin")
    fake_pulumi(bin_dir, "echo \"error: no stack named 'dev' found\" >&2; exit 255")
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    code, _, err = run(capsys, "--dir", str(project))
    assert code == 1 and "no stack named 'dev' found" in err


def test_region_comes_from_the_stack_and_a_contradicting_flag_is_bad_input(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = str(project / "outputs.json")
    _, _, err = run(capsys, "--dir", str(project), "--outputs", outputs)
    assert "CloudWatch (eu-west-1)" in err
    _, _, err = run(capsys, "--dir", str(project), "--outputs", outputs, "--region", "eu-west-1")
    assert "CloudWatch (eu-west-1)" in err
    code, _, err = run(capsys, "--dir", str(project), "--outputs", outputs, "--region", "ap-south-1")
    assert code == 2 and "--region ap-south-1 but the stack sets aws:region eu-west-1" in err and "CloudWatch" not in err


def test_without_aws_region_the_flag_wins_over_the_environment(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_stack(project, {"ab-routing:variants": variants_config()})  # no aws:region
    monkeypatch.setenv("AWS_REGION", "us-east-2")
    outputs = str(project / "outputs.json")
    _, _, err = run(capsys, "--dir", str(project), "--outputs", outputs)
    assert "CloudWatch (us-east-2)" in err
    _, _, err = run(capsys, "--dir", str(project), "--outputs", outputs, "--region", "ap-south-1")
    assert "CloudWatch (ap-south-1)" in err


def clean_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_no_region_anywhere_exits_2(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    clean_aws_env(monkeypatch, project)
    write_stack(project, {"ab-routing:variants": variants_config()})
    code, _, err = run(capsys, "--dir", str(project), "--outputs", str(project / "outputs.json"), real_boto3=True)
    assert code == 2 and "no AWS region: pass --region or set aws:region" in err


def test_no_credentials_is_a_failure_with_a_hint(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_aws_env(monkeypatch, project)
    code, _, err = run(capsys, "--dir", str(project), "--outputs", str(project / "outputs.json"), real_boto3=True)
    assert code == 1 and "no AWS credentials found" in err


def test_json_mode_prints_only_the_document_even_without_data(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--dir", str(project), "--outputs", str(project / "outputs.json"), "--json")
    assert code == 1
    document = json.loads(out)
    assert {"stack", "window", "method", "variants", "srm", "comparisons"} <= set(document)
    assert "fetching" not in err and "no requests recorded" in err  # progress lines are for text mode only
    variant_keys = {"name", "requests", "errors5xx", "errorRate", "errorRateCi95", "expectedShare", "observedShare", "latencyMs"}
    assert all(variant_keys <= set(v) for v in document["variants"])
    assert {"pValue", "mismatch"} <= set(document["srm"])
    comparison_keys = {"variant", "control", "errorRateDiff", "ci95", "pValue", "significant", "verdict", "reason"}
    assert all(comparison_keys <= set(c) for c in document["comparisons"])


def test_config_weights_not_yet_deployed_are_pointed_out(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = variants_config()
    config["challenger"]["weight"] = 25
    write_stack(project, {"aws:region": "eu-west-1", "ab-routing:variants": config})
    _, out, _ = run(capsys, "--dir", str(project), "--outputs", str(project / "outputs.json"), "--json")
    notes = json.loads(out)["notes"]
    assert any("config weight 25 differs from the deployed weight 10" in note for note in notes)
