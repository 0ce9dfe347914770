"""Every taggable resource carries the base tags, derived from pulumi-aws/awsx's typed args classes."""

from __future__ import annotations

import importlib
import inspect
import keyword
from typing import Any

import pytest

from ab_routing.mocks import Registration
from ab_routing.offline import OfflineRun
from ab_routing.tags import PROJECT, STACK, VARIANT
from tests.golden_support import example_run
from tests.stack_support import wide_run

PROVIDERS = {"aws": "pulumi_aws", "awsx": "pulumi_awsx"}


def args_class(type_token: str) -> type:
    """`aws:lb/targetGroup:TargetGroup` -> pulumi_aws.lb.TargetGroupArgs (index module for `aws:index/...`)."""
    package, module, name = type_token.split(":")
    module = module.split("/")[0]
    module += "_" if keyword.iskeyword(module) else ""  # aws:lambda/... lives in pulumi_aws.lambda_
    python_module = importlib.import_module(PROVIDERS[package] + ("" if module == "index" else f".{module}"))
    return getattr(python_module, f"{name}Args")


def taggable(type_token: str) -> bool:
    return "tags" in inspect.signature(args_class(type_token).__init__).parameters


def provider_registrations(result: OfflineRun) -> list[Registration]:
    return [r for r in result.recording.registrations if r.type.split(":")[0] in PROVIDERS]


def untagged(result: OfflineRun, project: str, stack: str) -> list[str]:
    """URNs (and nested awsx arguments) of taggable resources missing a base tag."""
    base = {PROJECT: project, STACK: stack}
    missing: list[str] = []

    def check(where: str, tags: Any) -> None:
        if not isinstance(tags, dict) or any(tags.get(k) != v for k, v in base.items()):
            missing.append(f"{where}: tags {tags!r}")

    for r in provider_registrations(result):
        if taggable(r.type):
            check(r.urn, r.inputs.get("tags"))
        if r.type == "awsx:lb:ApplicationLoadBalancer":
            check(f"{r.urn} defaultTargetGroup", (r.inputs.get("defaultTargetGroup") or {}).get("tags"))
            for i, listener in enumerate(r.inputs.get("listeners") or []):
                check(f"{r.urn} listeners[{i}]", listener.get("tags"))
    return missing


def test_the_taggable_set_comes_from_the_args_classes() -> None:
    assert taggable("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert taggable("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert not taggable("aws:s3/bucketPolicy:BucketPolicy")
    with pytest.raises(AttributeError):
        args_class("aws:lb/noSuchThing:NoSuchThing")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_taggable_resource_of_the_example_stacks_has_the_base_tags(stack: str) -> None:
    assert untagged(example_run(stack), "ab-routing", stack) == []


def test_every_taggable_resource_of_every_concern_has_the_base_tags() -> None:
    result = wide_run()
    kinds = {r.type for r in provider_registrations(result) if taggable(r.type)}
    # The wide config must reach the types that used to go untagged, or this test proves little.
    assert {
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:acm/certificate:Certificate",
        "aws:s3/bucket:Bucket",
    } <= kinds
    assert untagged(result, "ab-routing", "dev") == []


def test_per_variant_resources_also_name_their_variant() -> None:
    result = wide_run()
    per_variant = {"aws:lb/targetGroup:TargetGroup", "aws:lb/listenerRule:ListenerRule", "aws:cloudwatch/metricAlarm:MetricAlarm"}
    for r in provider_registrations(result):
        if r.type in per_variant:
            assert r.inputs["tags"][VARIANT] in ("champion", "challenger", "shadow"), r.urn
            assert r.name.startswith(r.inputs["tags"][VARIANT]), r.urn
