"""verify's traffic checks against a loopback server that routes like an ALB: by weight, by the
override header, and by an AWSALBTG cookie. Each test breaks one behaviour and expects exactly the
check that should notice to fail, with exit 3. AWS is a static stand-in (see test_verify_drift)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ab_routing.__main__ import parser
from ab_routing.verify import USER_AGENT
from ab_routing.verify.cli import STICKY_CLIENTS, STICKY_REQUESTS, run_verify
from tests.verify_support import FakeAlbBehaviour, StaticElbv2, raw_config, routing_config, serve_fake_alb, write_project

EVEN = {"champion": 50, "challenger": 50}


@pytest.fixture
def alb() -> Iterator[tuple[FakeAlbBehaviour, str]]:
    behaviour = FakeAlbBehaviour(dict(EVEN))
    server = serve_fake_alb(behaviour)
    url = next(server)
    yield behaviour, url
    server.close()


def verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, *extra: str, weights: dict[str, int] = EVEN, **config: Any
) -> tuple[int, dict[str, Any], str]:
    raw = raw_config(weights, **config)
    stub = StaticElbv2(routing_config(weights, **config))
    project = write_project(tmp_path, raw, stub.outputs(url))
    argv = ["verify", "--dir", str(project), "--outputs", str(project / "outputs.json"), "--json", "--rate", "10000", *extra]
    code = run_verify(parser().parse_args(argv), client_factory=lambda region: stub)
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def status(document: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["status"] for c in document["checks"]}


def test_an_alb_that_routes_as_configured_passes(
    alb: tuple[FakeAlbBehaviour, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour, url = alb
    code, document, _err = verify(tmp_path, capsys, url, "--requests", "200")
    assert code == 0, document["checks"]
    assert set(status(document).values()) == {"pass"}
    traffic = document["traffic"]
    assert traffic["requests"] == 200 + 2 * 10 + STICKY_CLIENTS * STICKY_REQUESTS
    assert document["url"] == f"{url}/ping"  # the first variant's health-check path
    assert behaviour.seen_user_agents == {USER_AGENT}
    # only the sticky clients' follow-up requests carried a cookie; split and override were cookie-less
    assert behaviour.seen_cookies == STICKY_CLIENTS * (STICKY_REQUESTS - 1)
    variants = {v["name"]: v for v in traffic["variants"]}
    assert sum(v["splitRequests"] for v in variants.values()) == 200
    low, high = variants["champion"]["ci95"]
    assert low < variants["champion"]["observedShare"] < high and high - low < 15
    assert variants["champion"]["latencyMs"]["p50"] is not None and variants["champion"]["errors"] == 0
    assert [o["reached"] for o in traffic["override"]] == [10, 10]


def test_a_skewed_split_fails_the_split_check(
    alb: tuple[FakeAlbBehaviour, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour, url = alb
    behaviour.weights = {"champion": 80, "challenger": 20}
    code, document, _err = verify(tmp_path, capsys, url, "--requests", "200")
    assert code == 3
    assert status(document)["split"] == "fail" and status(document)["override"] == "pass"
    assert document["traffic"]["split"]["mismatch"] is True


def test_an_ignored_override_header_fails_the_override_check(
    alb: tuple[FakeAlbBehaviour, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour, url = alb
    behaviour.honour_override = False
    code, document, _err = verify(tmp_path, capsys, url, "--requests", "40")
    assert code == 3
    assert [name for name, s in status(document).items() if s == "fail"] == ["override"]
    assert all(0 < o["reached"] < o["sent"] for o in document["traffic"]["override"])


def test_ignored_cookies_fail_the_stickiness_check(
    alb: tuple[FakeAlbBehaviour, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour, url = alb
    behaviour.honour_cookie = False
    code, document, _err = verify(tmp_path, capsys, url, "--requests", "40")
    assert code == 3
    assert [name for name, s in status(document).items() if s == "fail"] == ["stickiness"]
    assert document["traffic"]["stickiness"]["clientsThatSwitched"] > 0


def test_responses_without_the_variant_header_are_counted_not_guessed(
    alb: tuple[FakeAlbBehaviour, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour, url = alb
    behaviour.send_variant_header = False
    code, document, err = verify(tmp_path, capsys, url, "--requests", "40")
    traffic = document["traffic"]
    assert traffic["unidentified"] == {"responses": traffic["requests"], "statusCodes": {"200": traffic["requests"]}}
    assert status(document)["split"] == "error"
    assert all(v["observedShare"] is None or v["splitRequests"] == 0 for v in traffic["variants"])
    assert code == 3  # the override cannot be seen to work either
    assert "no response carried the X-Model-Variant header" in err


def test_override_is_skipped_when_this_machine_is_outside_the_source_cidrs(
    alb: tuple[FakeAlbBehaviour, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, url = alb
    code, document, _err = verify(tmp_path, capsys, url, "--requests", "40", source_cidrs=["10.8.0.0/16"])
    assert code == 0
    assert status(document)["override"] == "skip"
    assert "127.0.0.1 is not in overrideSourceCidrs (10.8.0.0/16)" in document["traffic"]["overrideSkipped"]
    assert document["traffic"]["override"] == []
    code, document, _err = verify(tmp_path, capsys, url, "--requests", "40", source_cidrs=["127.0.0.0/8"])
    assert code == 0 and status(document)["override"] == "pass"


def test_stickiness_is_skipped_when_off_and_post_sends_the_body(
    alb: tuple[FakeAlbBehaviour, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    behaviour, url = alb
    behaviour.sticky = False
    body = tmp_path / "request.json"
    body.write_text('{"inputs": [1, 2, 3]}')
    code, document, _err = verify(
        tmp_path, capsys, url, "--requests", "40", "--method", "POST", "--body", str(body), "--path", "/invocations", stickiness=False
    )
    assert code == 0, document["checks"]
    assert status(document)["stickiness"] == "skip"
    assert document["url"] == f"{url}/invocations" and document["traffic"]["method"] == "POST"
