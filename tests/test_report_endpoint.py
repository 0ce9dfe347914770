"""The report as a user runs it: a separate process, standard AWS settings, CloudWatch over HTTP.

moto runs as a server on loopback and the report reaches it only through `AWS_ENDPOINT_URL` and the
usual credential variables, which proves the report honours boto3's standard configuration. The
server answers percentile queries with HTTP 500 (moto does not implement them), so latency must be
reported unavailable while everything else works.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support import moto_endpoint, subprocess_env
from tests.test_report_moto import REGION, experiment_start, make_project, put_traffic

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def endpoint() -> Iterator[str]:
    with moto_endpoint() as url:
        yield url


def aws_env(endpoint: str) -> dict[str, str]:
    return subprocess_env(endpoint)


def test_report_reads_cloudwatch_through_aws_endpoint_url(endpoint: str, tmp_path: Path) -> None:
    client: Any = boto3.client(
        "cloudwatch", region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    put_traffic(client, "champion", [(400, 4, 0)] * 40)  # 1% errors
    put_traffic(client, "challenger", [(400, 12, 4)] * 40)  # 4% errors
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ab_routing",
            "report",
            "--dir",
            str(project),
            "--outputs",
            str(project / "outputs.json"),
            "--json",
            "--start",
            experiment_start(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=aws_env(endpoint),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    variants = {v["name"]: v for v in document["variants"]}
    assert variants["challenger"]["requests"] == 16_000 and variants["challenger"]["errors5xx"] == 640
    assert variants["champion"]["latencyMs"] == {"p50": None, "p90": None, "p99": None}
    assert document["srm"]["mismatch"] is False
    (comparison,) = document["comparisons"]
    assert comparison["significant"] is True and comparison["verdict"] == "roll back"


def test_report_without_credentials_fails_cleanly(endpoint: str, tmp_path: Path) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    env = {k: v for k, v in aws_env(endpoint).items() if not k.startswith("AWS_ACCESS") and not k.startswith("AWS_SECRET")}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    result = subprocess.run(
        [sys.executable, "-m", "ab_routing", "report", "--dir", str(project), "--outputs", str(project / "outputs.json")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 1
    assert "no AWS credentials" in result.stderr and "Traceback" not in result.stderr
