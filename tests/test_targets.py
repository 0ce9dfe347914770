"""Target registrations: which resource registers which kind of target, and that moving instance
targets off awsx's attachment replaces nothing in a deployed stack."""

from __future__ import annotations

from ab_routing.mocks import Registration
from ab_routing.offline import OfflineRun
from tests.golden_support import example_run
from tests.stack_support import wide_run
from tests.support import AWS_ATTACHMENT, AWSX_ATTACHMENT, LAMBDA_ARN, by_type

COMPONENT = "ab-routing:index:AbRouting"


def component(result: OfflineRun) -> Registration:
    return next(r for r in result.recording.registrations if r.type == COMPONENT)


def former_awsx_child_urn(result: OfflineRun, name: str) -> str:
    """By the engine's rule (parent's type chain, `$`, own type, `::`, name), the URN the
    registration had as the child awsx's TargetGroupAttachment component created with its own name."""
    head = component(result).urn.rsplit("::", 1)[0]
    return f"{head}${AWSX_ATTACHMENT}${AWS_ATTACHMENT}::{name}"


def test_instance_targets_are_the_former_awsx_children_renamed_not_replaced() -> None:
    for result in (example_run("dev"), example_run("prod"), wide_run()):
        parent = component(result).urn
        instances = [r for r in by_type(result, AWS_ATTACHMENT).values() if r.inputs["targetId"].startswith("i-")]
        assert instances, "the config has instance targets"
        for r in instances:
            assert r.parent == parent, r.urn
            assert former_awsx_child_urn(result, r.name) in r.aliases, (r.urn, r.aliases)
            # awsx's child had exactly these inputs plus the zone: with the zone ignored, no input
            # differs, so the engine sees the same resource (a changed input would force a replacement,
            # and a create-before-delete replacement deregisters the target when the old one goes).
            assert set(r.inputs) == {"targetGroupArn", "targetId"}, r.urn
            assert "availabilityZone" in r.ignore_changes, r.urn
        assert not [r for r in by_type(result, AWSX_ATTACHMENT).values() if "instanceId" in r.inputs]


def test_lambda_keeps_awsx_attachment_with_its_invoke_permission_and_ip_targets_are_unaliased() -> None:
    result = wide_run()
    lambdas = by_type(result, AWSX_ATTACHMENT)
    assert [r.inputs["lambdaArn"] for r in lambdas.values()] == [LAMBDA_ARN]
    assert [c.name for c in result.recording.awsx_children if c.type == "aws:lambda/permission:Permission"] == list(lambdas)
    ips = [r for r in by_type(result, AWS_ATTACHMENT).values() if not r.inputs["targetId"].startswith("i-")]
    assert ips and all(r.inputs["port"] == 9000 and not r.ignore_changes for r in ips)
    assert all(AWSX_ATTACHMENT not in alias for r in ips for alias in r.aliases)
