"""The program under Pulumi mocks: what it registers for a valid config."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest

from ab_routing.offline import run_offline
from tests.support import (
    ALB,
    AWS_ATTACHMENT,
    AWSX_ATTACHMENT,
    CERT,
    EGRESS,
    INGRESS,
    INSTANCE_A,
    LAMBDA_ARN,
    RULE,
    SECURITY_GROUP,
    TARGET_GROUP,
    base_raw,
    by_type,
    one,
    run,
    stack_config,
)


def forward(alb_inputs: dict[str, Any], listener: int = 0) -> dict[str, Any]:
    action = alb_inputs["listeners"][listener]["defaultActions"][0]
    assert action["type"] == "forward", action
    return action["forward"]


def test_listener_forwards_to_every_variant_with_its_weight() -> None:
    result = run()
    groups = by_type(result, TARGET_GROUP)
    arns = {name: result.outputs["variants"][name]["targetGroupArn"] for name in groups}
    fwd = forward(one(result, ALB).inputs)
    assert fwd["targetGroups"] == [
        {"arn": arns["challenger"], "weight": 10},
        {"arn": arns["champion"], "weight": 90},
    ]


def test_stickiness_is_on_by_default_and_keeps_its_duration_when_off() -> None:
    raw = base_raw()
    del raw["stickiness"]
    assert forward(one(run(raw), ALB).inputs)["stickiness"] == {"enabled": True, "duration": 3600}
    raw["stickiness"] = {"enabled": False, "duration": 120}
    assert forward(one(run(raw), ALB).inputs)["stickiness"] == {"enabled": False, "duration": 120}


def test_listener_port_and_protocol_come_from_config() -> None:
    raw = base_raw()
    raw["listener"] = {"port": 8000, "protocol": "HTTP", "allowedCidrs": ["10.0.0.0/8"]}
    result = run(raw)
    listener = one(result, ALB).inputs["listeners"][0]
    assert (listener["port"], listener["protocol"]) == (8000, "HTTP")
    assert result.outputs["url"].endswith(":8000")


def test_one_target_group_per_variant_with_its_settings_and_no_fixed_name() -> None:
    raw = base_raw()
    raw["variants"]["challenger"].update({"protocol": "HTTPS", "deregistrationDelay": 10, "slowStart": 60, "algorithm": "round_robin"})
    groups = by_type(run(raw), TARGET_GROUP)
    assert set(groups) == {"champion", "challenger"}
    challenger = groups["challenger"].inputs
    assert "name" not in challenger and "namePrefix" not in challenger
    assert challenger["port"] == 8080
    assert challenger["protocol"] == "HTTPS"
    assert challenger["targetType"] == "instance"
    assert challenger["vpcId"] == "vpc-0abc1234"
    assert challenger["deregistrationDelay"] == 10
    assert challenger["slowStart"] == 60
    assert challenger["loadBalancingAlgorithmType"] == "round_robin"
    assert groups["champion"].inputs["loadBalancingAlgorithmType"] == "least_outstanding_requests"


def test_health_check_defaults_suit_model_servers() -> None:
    check = by_type(run(), TARGET_GROUP)["challenger"].inputs["healthCheck"]
    assert check == {
        "enabled": True,
        "path": "/ping",
        "matcher": "200",
        "interval": 15,
        "timeout": 5,
        "healthyThreshold": 3,
        "unhealthyThreshold": 3,
        "port": "traffic-port",
        "protocol": "HTTP",
    }


def test_health_check_settings_are_passed_through() -> None:
    raw = base_raw()
    raw["variants"]["champion"]["healthCheck"] = {
        "path": "/v1/health",
        "matcher": "200-299",
        "interval": 30,
        "timeout": 10,
        "healthyThreshold": 2,
        "unhealthyThreshold": 5,
        "port": 9090,
    }
    check = by_type(run(raw), TARGET_GROUP)["champion"].inputs["healthCheck"]
    assert check["path"] == "/v1/health"
    assert check["matcher"] == "200-299"
    assert (check["interval"], check["timeout"]) == (30, 10)
    assert (check["healthyThreshold"], check["unhealthyThreshold"]) == (2, 5)
    assert check["port"] == "9090"


def test_lambda_variant_has_no_port_protocol_or_vpc_and_its_health_check_is_off() -> None:
    raw = base_raw()
    raw["variants"]["challenger"] = {"weight": 10, "targetType": "lambda", "targets": [LAMBDA_ARN]}
    result = run(raw)
    group = by_type(result, TARGET_GROUP)["challenger"].inputs
    assert group["targetType"] == "lambda"
    assert not {"port", "protocol", "vpcId"} & set(group)
    assert group["healthCheck"] == {"enabled": False}
    attachment = by_type(result, AWSX_ATTACHMENT)["challenger-fraud-model-v3"].inputs
    assert attachment["lambdaArn"] == LAMBDA_ARN
    assert attachment["targetGroup"]["$ref"].endswith("::challenger")
    permissions = [c for c in result.recording.awsx_children if c.type == "aws:lambda/permission:Permission"]
    assert [c.name for c in permissions] == ["challenger-fraud-model-v3"]


def test_instance_and_ip_targets_are_registered_by_name() -> None:
    raw = base_raw()
    raw["variants"]["challenger"] = {
        "weight": 10,
        "targetType": "ip",
        "targets": ["10.0.1.15", "10.0.2.16", "100.64.3.3"],
        "port": 9000,
    }
    raw["network"]["targetCidrs"] = ["100.64.0.0/16"]
    result = run(raw)
    assert not by_type(result, AWSX_ATTACHMENT)
    attachments = by_type(result, AWS_ATTACHMENT)
    instance = attachments[f"champion-{INSTANCE_A}"].inputs
    # AWS does not support a zone for instance targets; awsx's attachment passed one.
    assert instance == {"targetId": INSTANCE_A, "targetGroupArn": result.outputs["variants"]["champion"]["targetGroupArn"]}
    ips = {name: r for name, r in attachments.items() if name.startswith("challenger-")}
    assert set(ips) == {"challenger-10-0-1-15", "challenger-10-0-2-16", "challenger-100-64-3-3"}
    assert "availabilityZone" not in ips["challenger-10-0-1-15"].inputs  # inside the (placeholder) VPC CIDR
    assert ips["challenger-100-64-3-3"].inputs["availabilityZone"] == "all"  # outside: AWS requires "all"
    assert ips["challenger-10-0-1-15"].inputs["targetId"] == "10.0.1.15"
    assert ips["challenger-10-0-1-15"].inputs["port"] == 9000
    assert ips["challenger-10-0-1-15"].inputs["targetGroupArn"] == result.outputs["variants"]["challenger"]["targetGroupArn"]


def test_no_targets_registers_no_attachment() -> None:
    raw = base_raw()
    for v in raw["variants"].values():
        v.pop("targets")
    result = run(raw)
    assert not by_type(result, AWSX_ATTACHMENT) and not by_type(result, AWS_ATTACHMENT)


def test_override_rule_per_variant_matches_header_and_forwards_to_that_variant() -> None:
    result = run()
    rules = by_type(result, RULE)
    assert set(rules) == {"champion-override", "challenger-override"}
    challenger = rules["challenger-override"].inputs
    assert challenger["listenerArn"] == result.outputs["listenerArn"]
    assert challenger["conditions"] == [{"httpHeader": {"httpHeaderName": "X-Model-Variant", "values": ["challenger"]}}]
    assert challenger["actions"] == [{"type": "forward", "targetGroupArn": result.outputs["variants"]["challenger"]["targetGroupArn"]}]
    priorities = {r.inputs["priority"] for r in rules.values()}
    assert len(priorities) == 2 and all(1 <= p <= 50000 for p in priorities)


def test_override_rule_can_be_limited_to_source_cidrs_and_renamed() -> None:
    raw = base_raw()
    raw["overrideHeader"] = "X-QA-Variant"
    raw["overrideSourceCidrs"] = ["10.20.0.0/16"]
    rule = by_type(run(raw), RULE)["champion-override"].inputs
    assert rule["conditions"] == [
        {"httpHeader": {"httpHeaderName": "X-QA-Variant", "values": ["champion"]}},
        {"sourceIp": {"values": ["10.20.0.0/16"]}},
    ]


def test_override_off_registers_no_rule() -> None:
    raw = base_raw()
    raw["overrideHeader"] = ""
    assert by_type(run(raw), RULE) == {}


def test_explicit_rule_priority_is_used() -> None:
    raw = base_raw()
    raw["variants"]["champion"]["rulePriority"] = 7
    assert by_type(run(raw), RULE)["champion-override"].inputs["priority"] == 7


def test_alb_uses_its_own_security_group_not_awsx_default() -> None:
    result = run()
    alb = one(result, ALB).inputs
    groups = by_type(result, SECURITY_GROUP)
    assert set(groups) == {"ab-routing", "ab-routing-targets"}
    assert alb["securityGroups"] == [alb_sg(result)] and alb_sg(result).startswith("sg-")
    assert "defaultSecurityGroup" not in alb
    for group in groups.values():
        assert "ingress" not in group.inputs and "egress" not in group.inputs
        assert group.inputs["vpcId"] == "vpc-0abc1234"


def alb_sg(result: Any) -> str:
    return one(result, ALB).inputs["securityGroups"][0]


def fleet_sg(result: Any) -> str:
    return result.outputs["targetSecurityGroupId"]


def test_ingress_only_on_listener_port_from_allowed_cidrs() -> None:
    raw = base_raw()
    raw["listener"]["allowedCidrs"] = ["203.0.113.0/24", "2001:db8::/32"]
    result = run(raw)
    rules = sorted((r for r in by_type(result, INGRESS).values() if r.inputs["securityGroupId"] == alb_sg(result)), key=lambda r: r.name)
    assert [(r.inputs["fromPort"], r.inputs["toPort"], r.inputs["ipProtocol"]) for r in rules] == [(80, 80, "tcp")] * 2
    assert {r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6") for r in rules} == {"203.0.113.0/24", "2001:db8::/32"}
    assert all(r.inputs["securityGroupId"] == alb_sg(result) for r in rules)


def test_alb_egress_goes_only_to_the_fleet_group_on_variant_ports() -> None:
    raw = base_raw()
    raw["variants"]["challenger"]["port"] = 9000
    raw["variants"]["challenger"]["healthCheck"] = {"port": 9100}
    result = run(raw)
    rules = by_type(result, EGRESS)
    assert set(rules) == {"ab-routing-out-8080", "ab-routing-out-9000", "ab-routing-out-9100"}
    for rule in rules.values():
        assert rule.inputs["referencedSecurityGroupId"] == fleet_sg(result)
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs
        assert rule.inputs["ipProtocol"] == "tcp"
        assert rule.inputs["fromPort"] == rule.inputs["toPort"]
        assert rule.inputs["securityGroupId"] == alb_sg(result)
    # No lookup decides these rules (the subnets' VPC check and the account id of the alarm key's
    # policy are the only lookups of this config).
    assert {lk.token for lk in result.recording.lookups} == {"aws:ec2/getSubnet:getSubnet", "aws:index/getCallerIdentity:getCallerIdentity"}


def test_fleet_group_admits_only_the_alb_group_on_each_variant_port() -> None:
    raw = base_raw()
    raw["variants"]["challenger"]["port"] = 9000
    result = run(raw)
    fleet_rules = {r.name: r.inputs for r in by_type(result, INGRESS).values() if r.inputs["securityGroupId"] == fleet_sg(result)}
    assert set(fleet_rules) == {"ab-routing-targets-in-8080", "ab-routing-targets-in-9000"}
    for rule in fleet_rules.values():
        assert rule["referencedSecurityGroupId"] == alb_sg(result)
        assert "cidrIpv4" not in rule and "cidrIpv6" not in rule
    assert not [r for r in by_type(result, EGRESS).values() if r.inputs["securityGroupId"] == fleet_sg(result)]


def test_subnets_from_config_or_the_default_vpc() -> None:
    assert one(run(), ALB).inputs["subnetIds"] == ["subnet-0aaa1111", "subnet-0bbb2222"]
    raw = base_raw()
    del raw["network"]
    result = run(raw)
    tokens = sorted(lk.token for lk in result.recording.lookups)
    assert tokens == ["aws:ec2/getSubnets:getSubnets", "aws:ec2/getVpc:getVpc", "aws:index/getCallerIdentity:getCallerIdentity"]
    assert len(one(result, ALB).inputs["subnetIds"]) == 2


def test_awsx_default_target_group_is_explicit_and_tagged_unused() -> None:
    default = one(run(), ALB).inputs["defaultTargetGroup"]
    assert default["port"] == 80 and default["protocol"] == "HTTP" and default["targetType"] == "ip"
    assert default["tags"]["ab-routing:role"] == "awsx-default-unused"


def test_stack_outputs_have_the_documented_names_and_shares() -> None:
    outputs = run().outputs
    assert set(outputs) == {
        "url",
        "dnsName",
        "loadBalancerArn",
        "loadBalancerArnSuffix",
        "listenerArn",
        "variants",
        "alarms",
        "logsDatabase",
        "logsTable",
        "athenaWorkGroup",
        "targetSecurityGroupId",
        "accessLogsBucket",
        "dashboardUrl",
        "alarmTopicArn",
    }
    assert outputs["accessLogsBucket"] is None
    assert outputs["url"] == f"http://{outputs['dnsName']}"
    assert outputs["loadBalancerArn"].endswith(outputs["loadBalancerArnSuffix"])
    assert set(outputs["variants"]) == {"champion", "challenger"}
    champion = outputs["variants"]["champion"]
    assert (champion["weight"], champion["share"]) == (90, 90)
    assert champion["targetGroupArn"].endswith(champion["targetGroupArnSuffix"])
    assert champion["targetGroupArnSuffix"].startswith("targetgroup/champion-")


def test_invalid_config_is_one_clean_pulumi_error_naming_every_problem() -> None:
    raw = base_raw()
    raw["variants"]["challenger"]["weight"] = 1000
    raw["stickiness"] = {"duration": 0}
    with pytest.raises(pulumi.RunError) as caught:
        run_offline(stack_config(raw))
    message = str(caught.value)
    assert message.startswith("invalid stack config (2 problems)")
    assert "variants.challenger.weight: got 1000; must be an integer from 0 to 999" in message
    assert "stickiness.duration: got 0" in message


def test_invalid_config_raises_before_any_registration() -> None:
    raw = base_raw()
    raw["variants"]["challenger"]["wieght"] = 3
    seen: list[str] = []

    def program() -> None:
        from ab_routing.program import main

        try:
            main()
        finally:
            monitor: Any = pulumi.runtime.settings.get_monitor()
            seen.extend(r.type for r in monitor.get_registered_resources().values())

    with pytest.raises(pulumi.RunError, match="did you mean 'weight'"):
        run_offline(stack_config(raw), program=program)
    assert seen == []


# AWS's GroupDescription and rule Description allow only these characters (EC2 API reference);
# neither moto nor the mocks check them, so a stray apostrophe would only fail at deploy time.
AWS_DESCRIPTION = re.compile(r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*")


def test_security_group_and_rule_descriptions_use_only_characters_aws_accepts() -> None:
    raw = base_raw()
    raw["listener"] = {"protocol": "HTTPS", "certificateArn": CERT}
    result = run(raw)
    descriptions = [
        r.inputs["description"]
        for r in result.recording.registrations
        if r.type in (SECURITY_GROUP, INGRESS, EGRESS) and "description" in r.inputs
    ]
    assert len(descriptions) >= 6
    for description in descriptions:
        assert AWS_DESCRIPTION.fullmatch(description), description
