"""verify's deployed-configuration check against moto's ELBv2: build what `pulumi up` would have
built, change one thing at a time as a console edit or another tool would, and expect that one
thing reported, with the right kind (drift vs pending) and exit code 3."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from ab_routing.__main__ import parser
from ab_routing.verify.cli import run_verify
from ab_routing.verify.drift import check_deployed, deployed_weights, target_group_arns
from ab_routing.verify.forward import compare_forward, read_forward
from ab_routing.verify.health import parse_target_health
from ab_routing.verify.rules import Rule, overlaps
from ab_routing.verify.traffic import certificate_message
from tests.verify_support import (
    HEADER,
    MotoAlb,
    MotoWorld,
    aws_environment,
    build_alb,
    header_rule,
    moto_world,
    raw_config,
    routing_config,
    write_project,
)

WEIGHTS = {"champion": 90, "challenger": 10}


@pytest.fixture(scope="module")
def world() -> Iterator[MotoWorld]:
    with aws_environment(), mock_aws():
        yield moto_world()


def verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], alb: MotoAlb, raw: dict[str, Any], outputs_weights: dict[str, int]
) -> tuple[int, dict[str, Any]]:
    project = write_project(tmp_path, raw, alb.outputs(outputs_weights))
    argv = ["verify", "--dir", str(project), "--outputs", str(project / "outputs.json"), "--skip-traffic", "--settle", "0", "--json"]
    code = run_verify(parser().parse_args(argv), client_factory=lambda region: alb.elbv2)
    out = capsys.readouterr().out
    return code, json.loads(out)


def failed(document: dict[str, Any]) -> set[str]:
    return {c["name"] for c in document["checks"] if not c["ok"]}


def test_a_stack_that_matches_aws_passes(world: MotoWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alb = build_alb(world, routing_config(WEIGHTS))
    code, document = verify(tmp_path, capsys, alb, raw_config(WEIGHTS), WEIGHTS)
    assert code == 0, document
    assert document["drift"] == [] and failed(document) == set()
    assert document["deployedWeights"] == WEIGHTS and document["deployedStickiness"] is True
    assert document["traffic"] is None
    assert [h["summary"] for h in document["health"]] == ["1 of 1 targets serving"] * 2


def _reweight(alb: MotoAlb) -> None:
    alb.set_forward({"champion": 80, "challenger": 20})


def _stickiness_off(alb: MotoAlb) -> None:
    alb.set_forward(WEIGHTS, stickiness=False)


def _reprioritise(alb: MotoAlb) -> None:
    alb.elbv2.set_rule_priorities(RulePriorities=[{"RuleArn": alb.rules["challenger"], "Priority": 49999}])


def _delete_rule(alb: MotoAlb) -> None:
    alb.elbv2.delete_rule(RuleArn=alb.rules["challenger"])


def _shadow(alb: MotoAlb) -> None:
    alb.elbv2.create_rule(
        ListenerArn=alb.listener_arn,
        Priority=1,
        Conditions=header_rule(HEADER, "*"),
        Actions=[{"Type": "forward", "TargetGroupArn": alb.groups["champion"]}],
    )


def _drop_group(alb: MotoAlb) -> None:
    alb.elbv2.modify_listener(ListenerArn=alb.listener_arn, DefaultActions=[{"Type": "forward", "TargetGroupArn": alb.groups["champion"]}])


@pytest.mark.parametrize(
    ("change", "item", "deployed", "expected"),
    [
        (_reweight, "forward weight: variant challenger", "20 (20%)", "10 (10%)"),
        (_stickiness_off, "forward stickiness", "disabled", "enabled"),
        (_reprioritise, "override rule challenger priority", "49999", None),
        (_delete_rule, "override rule challenger", "missing", None),
        (_shadow, "override rule challenger shadowed", None, None),
        (_drop_group, "forward: variant challenger", "not in the forward", "weight 10"),
    ],
    ids=["weight", "stickiness-off", "rule-priority", "missing-rule", "shadowing-rule", "group-dropped"],
)
def test_each_change_behind_the_stacks_back_is_drift(
    world: MotoWorld,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: Callable[[MotoAlb], None],
    item: str,
    deployed: str | None,
    expected: str | None,
) -> None:
    config = routing_config(WEIGHTS)
    alb = build_alb(world, config)
    change(alb)
    code, document = verify(tmp_path, capsys, alb, raw_config(WEIGHTS), WEIGHTS)
    assert code == 3
    assert failed(document) == {"drift"}
    (difference,) = [d for d in document["drift"] if d["item"] == item]
    assert difference["kind"] == "drift"
    if deployed is not None:
        assert difference["deployed"] == deployed
    if expected is not None:
        assert difference["expected"] == expected
    if change is _reprioritise:
        assert difference["expected"] == str(config.variant("challenger").rule_priority)
    if change is _shadow:
        assert "priority 1" in difference["deployed"] and "matches first" in difference["deployed"]
        # the rule sends champion's own header to champion: harmless for champion's override
        assert not any(d["item"] == "override rule champion shadowed" for d in document["drift"])


def test_a_weight_zero_that_became_one_is_drift(world: MotoWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = {"champion": 100, "challenger": 0}
    alb = build_alb(world, routing_config(weights))
    alb.set_forward({"champion": 100, "challenger": 1})  # pulumi-aws #5772
    code, document = verify(tmp_path, capsys, alb, raw_config(weights), weights)
    assert code == 3
    # every share moved, so both lines are reported
    assert document["drift"] == [
        {"item": "forward weight: variant challenger", "deployed": "1 (0.99%)", "expected": "0 (0%)", "kind": "drift"},
        {"item": "forward weight: variant champion", "deployed": "100 (99.01%)", "expected": "100 (100%)", "kind": "drift"},
    ]


def test_config_ahead_of_outputs_is_pending_not_drift(world: MotoWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alb = build_alb(world, routing_config(WEIGHTS))
    code, document = verify(tmp_path, capsys, alb, raw_config({"champion": 50, "challenger": 50}), WEIGHTS)
    assert code == 3
    assert failed(document) == {"pending"}
    assert {(d["item"], d["deployed"], d["expected"], d["kind"]) for d in document["drift"]} == {
        ("forward weight: variant champion", "90", "50", "pending"),
        ("forward weight: variant challenger", "10", "50", "pending"),
    }


def test_stopped_instance_and_empty_group_fail_health(world: MotoWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance = world.ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    alb = build_alb(world, routing_config(WEIGHTS), instance=instance)
    alb.ec2.stop_instances(InstanceIds=[instance])
    alb.elbv2.deregister_targets(TargetGroupArn=alb.groups["challenger"], Targets=[{"Id": alb.instance, "Port": 8080}])
    code, document = verify(tmp_path, capsys, alb, raw_config(WEIGHTS), WEIGHTS)
    assert code == 3
    assert failed(document) == {"health"}
    health = {h["variant"]: h for h in document["health"]}
    assert health["challenger"]["summary"] == "no targets registered"
    assert health["champion"]["targets"][0]["reason"] == "Target.InvalidState"
    assert "no healthy target" in health["champion"]["summary"] and alb.instance in health["champion"]["summary"]


def test_lambda_with_health_checks_off_is_serving() -> None:
    off = {
        "Target": {"Id": "arn:aws:lambda:us-east-1:1:function:m"},
        "TargetHealth": {"State": "unavailable", "Reason": "Target.HealthCheckDisabled"},
    }
    broken = {"Target": {"Id": "i-1", "Port": 8080}, "TargetHealth": {"State": "unhealthy", "Reason": "Target.Timeout"}}
    assert parse_target_health("m", "arn", [off]).ok
    assert not parse_target_health("m", "arn", [broken]).ok
    assert "i-1:8080 unhealthy (Target.Timeout)" in parse_target_health("m", "arn", [broken]).summary()


def test_listener_deleted_is_drift(world: MotoWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alb = build_alb(world, routing_config(WEIGHTS))
    alb.elbv2.delete_listener(ListenerArn=alb.listener_arn)
    code, document = verify(tmp_path, capsys, alb, raw_config(WEIGHTS), WEIGHTS)
    assert code == 3
    assert document["drift"][0]["item"] == "listener" and document["drift"][0]["deployed"] == "not found"


def test_settle_window_rereads_before_calling_drift(world: MotoWorld) -> None:
    config = routing_config(WEIGHTS)
    alb = build_alb(world, config)
    deployed = alb.deployed(WEIGHTS)
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds
        alb.set_forward(WEIGHTS)  # the change the API accepted reaches the listener

    alb.set_forward({"champion": 50, "challenger": 50})
    settled = check_deployed(alb.elbv2, deployed, config, settle_seconds=20, sleep=sleep, clock=lambda: now[0])
    assert settled.ok and settled.reads == 2 and slept == [5.0]

    alb.set_forward({"champion": 50, "challenger": 50})
    slept.clear()

    def sleep_only(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    lasting = check_deployed(alb.elbv2, deployed, config, settle_seconds=12, sleep=sleep_only, clock=lambda: now[0])
    assert not lasting.ok and lasting.reads == 4 and sum(slept) == 12
    assert {d.item for d in lasting.drift} == {"forward weight: variant champion", "forward weight: variant challenger"}


def test_deployed_weights_reads_the_forward(world: MotoWorld) -> None:
    alb = build_alb(world, routing_config(WEIGHTS))
    deployed = alb.deployed(WEIGHTS)
    assert deployed_weights(alb.elbv2, alb.listener_arn, target_group_arns(deployed)) == (WEIGHTS, True)


def test_forward_compares_meaning_not_shape() -> None:
    a, b = "arn:tg/a", "arn:tg/b"
    shapes = [
        [{"Type": "forward", "TargetGroupArn": a}],
        [{"Type": "forward", "TargetGroupArn": a, "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": a, "Weight": 1}]}}],
        [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": a, "Weight": 999}]}}],
    ]
    for actions in shapes:
        forward = read_forward(actions)
        assert compare_forward(forward, {a: 7}, {a: "x"}, stickiness_enabled=False, stickiness_duration=3600) == []
    ninety_ten = read_forward(
        [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": a, "Weight": 90}, {"TargetGroupArn": b, "Weight": 10}]}}]
    )
    assert compare_forward(ninety_ten, {a: 9, b: 1}, {}, stickiness_enabled=False, stickiness_duration=1) == []
    (zero,) = compare_forward(read_forward(shapes[0]), {a: 5, b: 0}, {b: "b"}, stickiness_enabled=False, stickiness_duration=1)
    assert (zero.item, zero.deployed) == ("forward: variant b", "not in the forward")


def _rule(priority: int, *conditions: tuple[str, str | None, tuple[str, ...]]) -> Rule:
    return Rule(f"arn:{priority}", priority, tuple(conditions), ("arn:tg/other",), "forward")


@pytest.mark.parametrize(
    ("earlier", "shadows"),
    [
        (_rule(1, ("http-header", "x-model-variant", ("CHALLENGER",))), True),  # header names and values are case-insensitive
        (_rule(1, ("http-header", HEADER, ("chall?nger",))), True),
        (_rule(1, ("http-header", HEADER, ("champion",))), False),
        (_rule(1, ("path-pattern", None, ("/admin/*",))), True),  # requests to /admin/* never reach the override
        (_rule(1, ("source-ip", None, ("192.168.0.0/16",))), False),
        (_rule(1, ("source-ip", None, ("10.8.4.0/24",)), ("http-header", "X-Other", ("1",))), True),
    ],
)
def test_shadowing_needs_a_request_that_matches_both(earlier: Rule, shadows: bool) -> None:
    override = _rule(500, ("http-header", HEADER, ("challenger",)), ("source-ip", None, ("10.8.0.0/16",)))
    assert overlaps(earlier, override) is shadows


def test_hostname_mismatch_offers_host_and_keeps_verification() -> None:
    cause = ssl.SSLCertVerificationError("certificate verify failed")
    cause.verify_code = 62
    cause.verify_message = "Hostname mismatch, certificate is not valid for 'ab-1.us-east-1.elb.amazonaws.com'."
    text = certificate_message("https://ab-1.us-east-1.elb.amazonaws.com/ping", None, cause)
    assert "--host NAME" in text and "never on your certificate" in text and "stays on" in text
