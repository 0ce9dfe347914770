"""The plan's URNs are the engine's, and every placeholder follows AWS's format for its type.

Users copy URNs from a plan into `pulumi state`, `--target` and `aliases`, and placeholder ids into
scripts, so both must be what a real deploy produces.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ab_routing.mocks import engine_urn
from ab_routing.offline import OfflineRun
from ab_routing.placeholders import BUILDERS, PLACEHOLDER_SUBNETS, PLACEHOLDER_VPC_ID, placeholder
from tests.support import LAMBDA_ARN, base_raw, run

REGION = "us-east-1"
ACCT = r"\d{12}"
HEX16 = "[0-9a-f]{16}"
ELB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCT}"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NAME32 = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?"
PATTERNS = {
    "security group id": r"sg-(?:[0-9a-f]{8}|[0-9a-f]{17})",
    "security group rule id": r"sgr-[0-9a-f]{17}",
    "subnet id": r"subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})",
    "vpc id": r"vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})",
    "target group arn": f"{ELB}:targetgroup/{NAME32}/{HEX16}",
    "load balancer arn": f"{ELB}:loadbalancer/app/{NAME32}/{HEX16}",
    "listener arn": f"{ELB}:listener/app/{NAME32}/{HEX16}/{HEX16}",
    "listener rule arn": f"{ELB}:listener-rule/app/{NAME32}/{HEX16}/{HEX16}/{HEX16}",
    "acm certificate arn": f"arn:aws:acm:{REGION}:{ACCT}:certificate/{UUID}",
    "sns topic arn": f"arn:aws:sns:{REGION}:{ACCT}:[A-Za-z0-9_-]{{1,256}}",
    "sns subscription arn": f"arn:aws:sns:{REGION}:{ACCT}:[A-Za-z0-9_-]{{1,256}}:{UUID}",
    "s3 bucket name": r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
    "alb dns name": rf"(?:internal-)?{NAME32}-\d{{1,10}}\.{REGION}\.elb\.amazonaws\.com",
    "alarm arn": f"arn:aws:cloudwatch:{REGION}:{ACCT}:alarm:.{{1,255}}",
    "dashboard arn": f"arn:aws:cloudwatch::{ACCT}:dashboard/[A-Za-z0-9_-]{{1,255}}",
    "kms key arn": f"arn:aws:kms:{REGION}:{ACCT}:key/{UUID}",
    "acm validation name": r"_[0-9a-f]{32}\.models\.example\.com\.",
    "acm validation value": r"_[0-9a-f]{32}\.[a-z]{10}\.acm-validations\.aws\.",
}


def matches(kind: str, value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(PATTERNS[kind], value) is not None


@pytest.fixture(scope="module")
def rich() -> OfflineRun:
    """One run touching every resource type the program can register: HTTPS with a DNS-validated
    certificate and SNI certificates, access logs, WAF, alarm emails, instance/IP/Lambda targets."""
    raw = base_raw()
    raw["variants"]["challenger"]["targets"] = ["i-0aaaaaaaaaaaaaaa1"]
    raw["variants"]["ipv"] = {"weight": 5, "targetType": "ip", "targets": ["10.1.2.3"]}
    raw["variants"]["fn"] = {"weight": 5, "targetType": "lambda", "targets": [LAMBDA_ARN]}
    raw["listener"] = {
        "protocol": "HTTPS",
        "additionalCertificateArns": ["arn:aws:acm:us-east-1:111122223333:certificate/1f4e8a52-3c1b-4d6e-9a7f-2b5c8d1e6f91"],
    }
    raw["dns"] = {"zoneId": "Z0123456789ABCDEFGHIJ", "recordName": "models.example.com"}
    raw["accessLogs"] = {"enabled": True}
    raw["loadBalancer"] = {"webAclArn": "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/m/7c1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"}
    raw["alarms"] = {"emails": ["oncall@example.com"]}
    return run(raw)


# -- URNs -----------------------------------------------------------------------------------------


def test_component_and_children_urns_leave_out_the_root_stack_type(rich: OfflineRun) -> None:
    urns = {r.urn for r in rich.recording.registrations}
    assert "urn:pulumi:dev::ab-routing::pulumi:pulumi:Stack::ab-routing-dev" in urns
    assert "urn:pulumi:dev::ab-routing::ab-routing:index:AbRouting::ab-routing" in urns
    assert "urn:pulumi:dev::ab-routing::ab-routing:index:AbRouting$aws:lb/targetGroup:TargetGroup::champion" in urns
    assert not [u for u in urns if "pulumi:pulumi:Stack$" in u]


def test_awsx_children_chain_every_ancestor_type(rich: OfflineRun) -> None:
    children = {c.urn for c in rich.recording.awsx_children}
    chain = "urn:pulumi:dev::ab-routing::ab-routing:index:AbRouting$awsx:lb:ApplicationLoadBalancer"
    assert f"{chain}$aws:lb/listener:Listener::ab-routing-0" in children
    assert f"{chain}$aws:lb/loadBalancer:LoadBalancer::ab-routing" in children
    attachment = "urn:pulumi:dev::ab-routing::ab-routing:index:AbRouting$awsx:lb:TargetGroupAttachment"
    assert any(u.startswith(f"{attachment}$aws:lambda/permission:Permission::fn-") for u in children), children


def test_every_urn_follows_the_engine_rule_from_its_parent(rich: OfflineRun) -> None:
    for r in rich.recording.registrations:
        assert r.urn == engine_urn("dev", "ab-routing", r.parent, r.type, r.name)
    for c in rich.recording.awsx_children:
        assert c.urn == engine_urn("dev", "ab-routing", c.component, c.type, c.name)


@pytest.mark.parametrize(
    ("parent", "expected"),
    [
        (None, "urn:pulumi:s::p::t:m:T::n"),
        ("urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", "urn:pulumi:s::p::t:m:T::n"),
        ("urn:pulumi:s::p::a:m:A::x", "urn:pulumi:s::p::a:m:A$t:m:T::n"),
        ("urn:pulumi:s::p::a:m:A$b:m:B::x::y", "urn:pulumi:s::p::a:m:A$b:m:B$t:m:T::n"),
    ],
)
def test_engine_urn_rule(parent: str | None, expected: str) -> None:
    assert engine_urn("s", "p", parent, "t:m:T", "n") == expected


# -- placeholders ---------------------------------------------------------------------------------


def test_every_registered_type_has_an_aws_format(rich: OfflineRun) -> None:
    custom = {r.type for r in rich.recording.registrations if r.custom}
    custom |= {c.type for c in rich.recording.awsx_children}
    assert custom - set(BUILDERS) == set()


def test_outputs_are_in_aws_formats(rich: OfflineRun) -> None:
    out: dict[str, Any] = rich.outputs
    assert matches("security group id", out["targetSecurityGroupId"])
    assert matches("load balancer arn", out["loadBalancerArn"])
    assert matches("listener arn", out["listenerArn"])
    assert matches("alb dns name", out["dnsName"])
    assert matches("sns topic arn", out["alarmTopicArn"])
    assert matches("s3 bucket name", out["accessLogsBucket"])
    assert out["listenerArn"].startswith(out["loadBalancerArn"].replace(":loadbalancer/", ":listener/") + "/")
    for variant in out["variants"].values():
        assert matches("target group arn", variant["targetGroupArn"])


def test_registration_inputs_carry_aws_shaped_references(rich: OfflineRun) -> None:
    seen: set[str] = set()
    for r in rich.recording.registrations:
        if r.type == "aws:lb/listenerRule:ListenerRule":
            assert matches("listener arn", r.inputs["listenerArn"])
        if "securityGroupId" in r.inputs:
            assert matches("security group id", r.inputs["securityGroupId"]), r.inputs
            seen.add("sg")
        if r.type == "aws:route53/record:Record" and r.name.endswith("validation"):
            assert matches("acm validation name", r.inputs["name"]), r.inputs
            assert all(matches("acm validation value", v) for v in r.inputs["records"]), r.inputs
            seen.add("acm")
        if r.type == "aws:acm/certificateValidation:CertificateValidation":
            assert matches("acm certificate arn", r.inputs["certificateArn"])
            seen.add("validation")
    assert seen == {"sg", "acm", "validation"}


@pytest.mark.parametrize(
    ("typ", "inputs", "kind", "field"),
    [
        ("aws:ec2/securityGroup:SecurityGroup", {}, "security group id", None),
        ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", {}, "security group rule id", None),
        ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", {}, "security group rule id", "securityGroupRuleId"),
        ("aws:lb/targetGroup:TargetGroup", {}, "target group arn", "arn"),
        ("aws:lb/loadBalancer:LoadBalancer", {}, "load balancer arn", "arn"),
        ("aws:lb/loadBalancer:LoadBalancer", {"internal": True}, "alb dns name", "dnsName"),
        ("aws:lb/listener:Listener", {}, "listener arn", "arn"),
        ("aws:lb/listenerRule:ListenerRule", {}, "listener rule arn", "arn"),
        ("aws:acm/certificate:Certificate", {"domainName": "models.example.com"}, "acm certificate arn", "arn"),
        ("aws:sns/topic:Topic", {}, "sns topic arn", "arn"),
        ("aws:sns/topicSubscription:TopicSubscription", {}, "sns subscription arn", "arn"),
        ("aws:s3/bucket:Bucket", {}, "s3 bucket name", "bucket"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", {}, "alarm arn", "arn"),
        ("aws:cloudwatch/dashboard:Dashboard", {"dashboardName": "ab-routing-dev"}, "dashboard arn", "dashboardArn"),
        ("aws:kms/key:Key", {}, "kms key arn", "arn"),
    ],
)
def test_placeholder_formats(typ: str, inputs: dict[str, Any], kind: str, field: str | None) -> None:
    for name in ("ab-routing", "champion-error-rate", "a" * 40):
        resource_id, state = placeholder(typ, name, inputs, REGION)
        value = resource_id if field is None else state[field]
        assert matches(kind, value), (name, value)


def test_acm_validation_record_is_shaped_like_acms() -> None:
    _, state = placeholder("aws:acm/certificate:Certificate", "ab-routing-certificate", {"domainName": "models.example.com"}, REGION)
    option = state["domainValidationOptions"][0]
    assert matches("acm validation name", option["resourceRecordName"])
    assert matches("acm validation value", option["resourceRecordValue"])
    assert option["resourceRecordType"] == "CNAME"


def test_lookup_placeholders_are_aws_shaped() -> None:
    assert matches("vpc id", PLACEHOLDER_VPC_ID)
    assert all(matches("subnet id", s) for s in PLACEHOLDER_SUBNETS)
