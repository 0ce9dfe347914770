"""The demo Lambda handler as a unit: variant header, health path, error rate and latency with a
seeded random source, and that the shipped file works on its own with the standard library."""

from __future__ import annotations

import ast
import json
import random
import sys
import types
from typing import Any

import pytest

from ab_routing.serving import demo_args, demo_handler
from ab_routing.serving.demo_handler import VARIANT_HEADER, respond


def event(path: str = "/invocations", body: str = '{"amount": 12.5}') -> dict[str, Any]:
    """An ALB Lambda event as AWS sends it (multi-value headers off)."""
    return {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/0"}},
        "httpMethod": "POST",
        "path": path,
        "queryStringParameters": {},
        "headers": {"content-type": "application/json"},
        "body": body,
        "isBase64Encoded": False,
    }


def answer(
    error_rate: float = 0.0, latency_ms: float = 100, seed: int = 7, path: str = "/invocations", sleeps: list[float] | None = None
) -> dict[str, Any]:
    return respond(
        event(path),
        variant="challenger",
        error_rate=error_rate,
        latency_ms=latency_ms,
        health_path="/ping",
        rng=random.Random(seed),
        sleep=(sleeps if sleeps is not None else []).append,
    )


def test_answers_json_with_the_variant_header_and_a_prediction() -> None:
    response = answer()
    assert response["statusCode"] == 200 and response["statusDescription"] == "200 OK"
    assert response["isBase64Encoded"] is False
    assert response["headers"][VARIANT_HEADER] == "challenger"
    body = json.loads(response["body"])
    assert set(body) == {"variant", "prediction"} and body["variant"] == "challenger"
    assert 0 <= body["prediction"] < 1


def test_the_same_input_gets_the_same_prediction_from_a_variant() -> None:
    assert json.loads(answer(seed=1)["body"]) == json.loads(answer(seed=2)["body"])
    assert demo_handler.prediction("a", "x") != demo_handler.prediction("b", "x")


def test_health_path_is_always_200_at_once_even_when_every_request_fails() -> None:
    sleeps: list[float] = []
    response = answer(error_rate=1.0, latency_ms=5000, path="/ping", sleeps=sleeps)
    assert response["statusCode"] == 200 and response["headers"][VARIANT_HEADER] == "challenger"
    assert sleeps == []


def test_error_rate_one_always_fails_with_500_and_still_names_the_variant() -> None:
    for seed in range(20):
        response = answer(error_rate=1.0, seed=seed)
        assert response["statusCode"] == 500 and response["statusDescription"] == "500 Internal Server Error"
        assert response["headers"][VARIANT_HEADER] == "challenger"
        assert json.loads(response["body"])["variant"] == "challenger"


def test_error_rate_zero_never_fails() -> None:
    rng = random.Random(3)
    statuses = {
        respond(event(), variant="a", error_rate=0.0, latency_ms=0, health_path="/ping", rng=rng, sleep=lambda s: None)["statusCode"]
        for _ in range(500)
    }
    assert statuses == {200}


def test_failures_happen_at_the_error_rate_and_sleeps_stay_around_the_latency() -> None:
    rng, sleeps = random.Random(2024), []
    statuses = [
        respond(event(), variant="b", error_rate=0.2, latency_ms=80, health_path="/ping", rng=rng, sleep=sleeps.append)["statusCode"]
        for _ in range(4000)
    ]
    assert statuses.count(500) / len(statuses) == pytest.approx(0.2, abs=0.02)
    assert set(statuses) == {200, 500}
    assert all(0.040 <= s <= 0.120 for s in sleeps) and len(sleeps) == 4000
    assert sum(sleeps) / len(sleeps) == pytest.approx(0.080, rel=0.02)


def test_a_seed_reproduces_the_same_sequence() -> None:
    def sequence(seed: int) -> list[tuple[int, float]]:
        rng, sleeps = random.Random(seed), []
        codes = [
            respond(event(), variant="c", error_rate=0.5, latency_ms=50, health_path="/ping", rng=rng, sleep=sleeps.append)["statusCode"]
            for _ in range(50)
        ]
        return list(zip(codes, sleeps, strict=True))

    assert sequence(11) == sequence(11) != sequence(12)


def test_the_shipped_file_uses_only_the_standard_library_and_runs_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    text = demo_args.handler_text()
    imported = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported and imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
    # As Lambda loads it: a module called `handler` from the archive's text, settings from the environment.
    module = types.ModuleType("handler")
    exec(compile(text, "handler.py", "exec"), module.__dict__)
    for name, value in {"DEMO_VARIANT": "canary", "DEMO_ERROR_RATE": "0.0", "DEMO_LATENCY_MS": "0", "DEMO_HEALTH_PATH": "/hc"}.items():
        monkeypatch.setenv(name, value)
    assert module.handler(event("/hc"), None)["headers"][VARIANT_HEADER] == "canary"
    assert json.loads(module.handler(event(), None)["body"])["variant"] == "canary"


def test_the_archive_is_built_from_the_file_contents_with_no_path() -> None:
    archive = demo_args.code_archive()
    assert list(archive.assets) == ["handler.py"]
    asset = archive.assets["handler.py"]
    assert asset.text == demo_args.handler_text() and "\r" not in asset.text  # type: ignore[union-attr]
