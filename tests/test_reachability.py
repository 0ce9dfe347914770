"""IP targets outside the VPC: egress to their declared networks, or a clear failure (issue 8, defect 3)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ab_routing.config import parse_config
from ab_routing.model import RoutingConfig
from ab_routing.offline import run_offline
from ab_routing.resources.security import RULES_PER_DIRECTION, TooManyRulesError, check_rule_counts, rule_counts
from ab_routing.resources.target_groups import UnreachableTargetError
from ab_routing.validate import ConfigError
from tests.stack_support import OUTSIDE_IP, OUTSIDE_NETWORK, wide_raw, wide_run
from tests.support import ALB, EGRESS, base_raw, by_type, one, stack_config


def test_alb_egress_reaches_declared_target_networks_on_traffic_and_health_check_ports() -> None:
    result = wide_run()
    rules = {name: r.inputs for name, r in by_type(result, EGRESS).items() if "cidrIpv4" in r.inputs}
    assert sorted(rules) == ["ab-routing-out-9000-100-64-0-0-16", "ab-routing-out-9100-100-64-0-0-16"]
    alb_group = one(result, ALB).inputs["securityGroups"][0]
    for port, name in zip((9000, 9100), sorted(rules), strict=True):  # registration order varies run to run
        rule = rules[name]
        assert (rule["cidrIpv4"], rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (OUTSIDE_NETWORK, port, port, "tcp")
        assert rule["securityGroupId"] == alb_group
        assert "referencedSecurityGroupId" not in rule


def test_an_undeclared_outside_ip_fails_at_preview_naming_it_and_the_key() -> None:
    raw = wide_raw()
    del raw["network"]["targetCidrs"]
    with pytest.raises(UnreachableTargetError) as caught:
        run_offline(stack_config(raw))
    message = str(caught.value)
    assert f"challenger/{OUTSIDE_IP}" in message and "network.targetCidrs" in message
    assert "10.0.1.15" not in message  # inside the (placeholder) VPC: reachable through the fleet group


def test_target_cidrs_are_validated_like_every_cidr() -> None:
    raw = base_raw()
    raw["network"]["targetCidrs"] = ["100.64.0.0/33"]
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert "network.targetCidrs[0]: got" in str(caught.value)


def _ip_config() -> RoutingConfig:
    raw = base_raw()
    raw["variants"]["challenger"] = {"weight": 10, "port": 9000, "targetType": "ip", "targets": []}
    return parse_config(raw)


IP_CONFIG = _ip_config()


@given(allowed=st.integers(1, 70), target_cidrs=st.integers(0, 70))
def test_rule_count_is_checked_against_the_quota_per_direction(allowed: int, target_cidrs: int) -> None:
    listener = replace(IP_CONFIG.listener, allowed_cidrs=tuple(f"203.0.{i}.0/24" for i in range(allowed)))
    variants, cidrs = IP_CONFIG.variants, [f"172.16.{i}.0/24" for i in range(target_cidrs)]
    counts = rule_counts(listener, variants, cidrs)
    assert counts["ALB ingress IPv4"] == allowed  # one listener port
    assert counts["ALB egress IPv4"] == 2 + target_cidrs  # ports 8080 and 9000 to the fleet group, 9000 per CIDR
    over = allowed > RULES_PER_DIRECTION or 2 + target_cidrs > RULES_PER_DIRECTION
    if over:
        with pytest.raises(TooManyRulesError, match="more than 60 rules per direction"):
            check_rule_counts(listener, variants, cidrs)
    else:
        check_rule_counts(listener, variants, cidrs)


def test_in_the_default_vpc_ip_targets_are_placed_against_its_real_block() -> None:
    """AWS gives every default VPC 172.31.0.0/16, so offline the plan fails where `pulumi up` would."""
    raw = base_raw()
    del raw["network"]
    raw["variants"]["challenger"] = {"weight": 10, "port": 9000, "targetType": "ip", "targets": ["172.31.7.9", "10.1.2.3"]}
    with pytest.raises(UnreachableTargetError) as caught:
        run_offline(stack_config(raw))
    message = str(caught.value)
    assert "challenger/10.1.2.3" in message and "172.31.7.9" not in message
    assert "outside the VPC (172.31.0.0/16)" in message  # each block once
