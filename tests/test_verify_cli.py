"""verify's command line: bad input (exit 2), what cannot be checked (exit 1), the text tables, and
one run in its own process reaching moto's ELBv2 server only through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from ab_routing.__main__ import main, parser
from ab_routing.verify.cli import run_verify
from tests.support import moto_endpoint, subprocess_env
from tests.verify_support import (
    REGION,
    FakeAlbBehaviour,
    StaticElbv2,
    build_alb,
    moto_world,
    raw_config,
    routing_config,
    serve_fake_alb,
    write_project,
)

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = {"champion": 50, "challenger": 50}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def project(tmp_path: Path, url: str = "http://127.0.0.1:9/") -> tuple[Path, StaticElbv2]:
    stub = StaticElbv2(routing_config(WEIGHTS))
    return write_project(tmp_path, raw_config(WEIGHTS), stub.outputs(url)), stub


def run(tmp_path: Path, *extra: str, stub: StaticElbv2 | None = None, outputs: bool = True) -> int:
    directory, default_stub = project(tmp_path)
    argv = [
        "verify",
        "--dir",
        str(directory),
        "--settle",
        "0",
        *(["--outputs", str(directory / "outputs.json")] if outputs else []),
        *extra,
    ]
    client = stub or default_stub
    return run_verify(parser().parse_args(argv), client_factory=lambda region: client)


def test_missing_outputs_file_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory, _ = project(tmp_path)
    code = main(["verify", "--dir", str(directory), "--outputs", str(tmp_path / "nope.json"), "--skip-traffic"])
    assert code == 2
    assert f"outputs file {tmp_path / 'nope.json'} not found" in capsys.readouterr().err


def test_outputs_without_listener_arn_name_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory, stub = project(tmp_path)
    outputs = stub.outputs("http://127.0.0.1:9/")
    del outputs["listenerArn"]
    (directory / "outputs.json").write_text(json.dumps(outputs))
    code = run_verify(parser().parse_args(["verify", "--dir", str(directory), "--outputs", str(directory / "outputs.json")]))
    assert code == 2 and "'listenerArn' is missing" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--requests", "0"], "--requests: must be at least 1, got 0"),
        (["--rate", "-1"], "--rate: must be greater than 0"),
        (["--path", "ping"], "--path: must start with '/'"),
        (["--method", "PUT"], "--method: invalid choice"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", "--dir", str(tmp_path), *flags])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_body_file_and_body_without_post_are_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "--method", "POST", "--body", str(tmp_path / "missing.json")) == 2
    assert f"--body {tmp_path / 'missing.json'}: file not found" in capsys.readouterr().err
    (tmp_path / "body.json").write_text("{}")
    assert run(tmp_path, "--body", str(tmp_path / "body.json")) == 2
    assert "only with --method POST" in capsys.readouterr().err
    assert run(tmp_path, "--url", "ftp://example.com/") == 2
    assert "--url ftp://example.com/: expected an http:// or https:// URL" in capsys.readouterr().err


def test_unreachable_url_could_not_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    code = run(tmp_path, "--url", url, "--json")
    captured = capsys.readouterr()
    assert code == 1
    assert f"cannot reach {url}ping" in captured.err and "Traceback" not in captured.err
    document = json.loads(captured.out)
    assert {c["name"]: c["status"] for c in document["checks"]}["traffic"] == "error"


def test_unreachable_aws_could_not_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory, _ = project(tmp_path)
    argv = ["verify", "--dir", str(directory), "--outputs", str(directory / "outputs.json"), "--skip-traffic"]
    client: Any = boto3.client(
        "elbv2",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{closed_port()}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    assert run_verify(parser().parse_args(argv), client_factory=lambda region: client) == 1
    err = capsys.readouterr().err
    assert "cannot read the load balancer through the ELBv2 API" in err and "Traceback" not in err


def test_text_output_has_a_table_per_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "--skip-traffic") == 0
    out = capsys.readouterr().out
    for text in ("Checks", "drift", "pending", "health", "Target health", "1 of 1 targets serving"):
        assert text in out


@pytest.fixture
def endpoint() -> Iterator[str]:
    with moto_endpoint() as url:
        yield url


def test_verify_in_its_own_process_through_aws_endpoint_url(endpoint: str, tmp_path: Path) -> None:
    world = moto_world(endpoint)
    config = routing_config(WEIGHTS)
    alb = build_alb(world, config)
    behaviour = FakeAlbBehaviour(dict(WEIGHTS))
    server = serve_fake_alb(behaviour)
    url = next(server)
    try:
        directory = write_project(tmp_path, raw_config(WEIGHTS), alb.outputs(WEIGHTS, url=url))
        env = subprocess_env(endpoint)
        command = [sys.executable, "-m", "ab_routing", "verify", "--dir", str(directory), "--outputs", str(directory / "outputs.json")]
        result = subprocess.run(
            [*command, "--json", "--requests", "100", "--rate", "10000"], capture_output=True, text=True, timeout=120, env=env
        )
    finally:
        server.close()
    assert result.returncode == 0, result.stderr + result.stdout
    document = json.loads(result.stdout)
    assert document["deployedWeights"] == WEIGHTS and document["drift"] == []
    assert {c["name"] for c in document["checks"]} == {"drift", "pending", "health", "split", "override", "stickiness", "errors"}
    assert result.stderr == ""  # --json: no progress, no notes
