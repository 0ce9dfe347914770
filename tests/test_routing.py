"""Pure functions: shares, the forward action, priorities, ports (no mocks needed)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ab_routing import routing
from ab_routing.config import parse_config
from ab_routing.naming import attachment_name, derived_rule_priority
from ab_routing.shares import shares
from tests.support import base_raw


def test_shares_are_percent_rounded_half_up_to_two_decimals() -> None:
    assert shares({"a": 90, "b": 10}) == {"a": 90.0, "b": 10.0}
    assert shares({"a": 1, "b": 2}) == {"a": 33.33, "b": 66.67}
    assert shares({"a": 1, "b": 7}) == {"a": 12.5, "b": 87.5}
    assert shares({"a": 1, "b": 1, "c": 1, "d": 0, "e": 5}) == {"a": 12.5, "b": 12.5, "c": 12.5, "d": 0.0, "e": 62.5}
    assert shares({"a": 1, "b": 15}) == {"a": 6.25, "b": 93.75}


@given(st.lists(st.integers(min_value=0, max_value=999), min_size=2, max_size=5).filter(lambda ws: sum(ws) > 0))
def test_shares_sum_to_100_within_rounding(weights: list[int]) -> None:
    result = shares({f"v{i}": w for i, w in enumerate(weights)})
    assert abs(sum(result.values()) - 100) <= 0.005 * len(weights) + 1e-9
    for i, w in enumerate(weights):
        assert abs(result[f"v{i}"] - 100 * w / sum(weights)) <= 0.005 + 1e-9


def test_forward_action_lists_variants_by_name_with_weights_and_stickiness() -> None:
    config = parse_config(base_raw())
    action: Any = routing.forward_action(config.variants, {"champion": "arn:b", "challenger": "arn:a"}, config.stickiness)
    assert action.type == "forward"
    assert [(g.arn, g.weight) for g in action.forward.target_groups] == [("arn:a", 10), ("arn:b", 90)]
    assert (action.forward.stickiness.enabled, action.forward.stickiness.duration) == (True, 3600)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20))
def test_derived_priority_is_in_range(name: str) -> None:
    assert 1 <= derived_rule_priority(name) <= 50000


def test_derived_priorities_are_fixed_across_releases() -> None:
    # Deployed rules carry these priorities: changing the derivation would move every rule.
    assert derived_rule_priority("champion") == 21728
    assert derived_rule_priority("challenger") == 31595


def test_ip_targets_outside_the_vpc_get_availability_zone_all() -> None:
    assert routing.ip_target_availability_zone("10.0.1.5", ["10.0.0.0/16"]) is None
    assert routing.ip_target_availability_zone("10.1.0.5", ["10.0.0.0/16", "10.1.0.0/16"]) is None
    assert routing.ip_target_availability_zone("100.64.1.5", ["10.0.0.0/16"]) == "all"


def test_attachment_names_come_from_targets_not_positions() -> None:
    assert attachment_name("champion", "i-0123456789abcdef0") == "champion-i-0123456789abcdef0"
    assert attachment_name("b", "10.0.1.15") == "b-10-0-1-15"
    assert attachment_name("b", "arn:aws:lambda:us-east-1:123456789012:function:model:live") == "b-model-live"


def test_variant_ports_include_health_check_ports_and_skip_lambda() -> None:
    raw = base_raw()
    raw["variants"]["challenger"] = {"weight": 1, "port": 9000, "healthCheck": {"port": 9100}}
    raw["variants"]["lam"] = {"weight": 1, "targetType": "lambda", "rulePriority": 3}
    assert routing.variant_ports(parse_config(raw).variants) == [8080, 9000, 9100]
