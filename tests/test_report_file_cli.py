"""`report --metrics-file` / `--save-metrics` end to end, and the report's promise not to load Pulumi."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ab_routing.__main__ import main
from ab_routing.report.metrics_file import render_metrics
from tests.report_support import START, simulated
from tests.support import make_project, write_outputs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path) -> Path:
    variants = {
        "champion": {"weight": 50, "targets": ["i-0123456789abcdef0"], "control": True},
        "challenger": {"weight": 50, "targets": ["i-0123456789abcdef0"]},
    }
    config = {"aws:region": "eu-west-1", "ab-routing:variants": variants, "ab-routing:experiment": {"start": "2026-11-22T11:00:00Z"}}
    make_project(tmp_path, config)
    outputs = {
        "loadBalancerArnSuffix": "app/lb/1",
        "variants": {name: {"targetGroupArnSuffix": f"targetgroup/{name}/1", "weight": 50} for name in variants},
    }
    write_outputs(tmp_path, outputs)
    rng = np.random.default_rng(12)
    metrics = [simulated("challenger", 0.03, 100, 180, rng), simulated("champion", 0.01, 100, 180, rng)]
    (tmp_path / "m.csv").write_text(render_metrics(START, 60, metrics))  # 10:00 to 13:00; the experiment starts at 11:00
    return tmp_path


def report(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The command in a fresh interpreter, which then lists any Pulumi module it loaded on stderr."""
    code = (
        "import sys\n"
        "from ab_routing.__main__ import main\n"
        "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_awsx'))\n"
        "print('PULUMI-MODULES', loaded, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    argv = ["report", "--dir", str(project), "--outputs", str(project / "outputs.json"), *extra]
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_a_metrics_file_is_reported_from_the_experiment_start_and_saved_back_without_loading_pulumi(project: Path) -> None:
    saved = project / "saved.csv"
    result = report(project, "--metrics-file", str(project / "m.csv"), "--save-metrics", str(saved), "--json")
    assert result.returncode == 0, result.stderr
    assert "PULUMI-MODULES []" in result.stderr
    document = json.loads(result.stdout)
    assert document["window"]["start"] == "2026-11-22T11:00:00+00:00" and document["window"]["periods"] == 120
    assert document["window"]["anchored"] is True
    (comparison,) = document["comparisons"]
    assert comparison["verdict"] == "roll back"
    assert "control error rate in the day before start" in document["settings"]["tauSource"]  # the hour 10:00-11:00
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("period_start,variant,requests,errors") and lines[1].startswith("2026-11-22T11:00:00Z,")
    assert len(lines) == 1 + 2 * 120


def test_help_loads_no_pulumi_module(project: Path) -> None:
    result = report(project, "--help")
    assert result.returncode == 0 and "--metrics-file" in result.stdout and "PULUMI-MODULES []" in result.stderr


def test_a_bad_metrics_file_exits_2_naming_its_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.csv").write_text("period_start,variant,requests,errors\n2026-11-22T11:00:00Z,champion,5,9\n")
    code = main(["report", "--dir", str(project), "--outputs", str(project / "outputs.json"), "--metrics-file", str(project / "bad.csv")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "bad.csv: line 2: errors 9 > requests 5" in err and "Traceback" not in err


def test_an_unwritable_save_metrics_path_exits_2_naming_the_flag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = project / "no-such-dir" / "saved.csv"
    code = main(["report", "--dir", str(project), "--outputs", str(project / "outputs.json"), "--metrics-file", str(project / "m.csv"),
                 "--save-metrics", str(target)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and f"error: --save-metrics {target}: cannot write it (No such file or directory)" in err
