"""Config validation: every rule, good and bad input, all problems reported at once."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ab_routing.config import parse_config, target_problem
from ab_routing.naming import derived_rule_priority
from ab_routing.validate import ConfigError
from tests.support import ACCOUNT, CERT, LAMBDA_ARN, base_raw


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return [str(issue) for issue in caught.value.issues]


def with_variant(**changes: Any) -> dict[str, Any]:
    raw = base_raw()
    raw["variants"]["challenger"].update(changes)
    return raw


def test_valid_config_parses_into_sorted_frozen_variants() -> None:
    config = parse_config(base_raw())
    assert [v.name for v in config.variants] == ["challenger", "champion"]
    assert config.control is not None and config.control.name == "champion"
    with pytest.raises(AttributeError):
        config.variants[0].weight = 5  # type: ignore[misc]


def test_defaults_suit_model_servers() -> None:
    raw = base_raw()
    raw["variants"] = {"a": {"weight": 1}, "b": {"weight": 1}}
    for key in ("stickiness", "listener", "network"):
        del raw[key]
    config = parse_config(raw)
    a = config.variant("a")
    assert (a.port, a.protocol, a.target_type, a.targets) == (8080, "HTTP", "instance", ())
    check = a.health_check
    assert (check.path, check.matcher, check.interval, check.timeout) == ("/ping", "200", 15, 5)
    assert (a.deregistration_delay, a.slow_start, a.algorithm) == (60, 0, "least_outstanding_requests")
    assert (config.stickiness.enabled, config.stickiness.duration) == (True, 3600)
    assert (config.listener.port, config.listener.allowed_cidrs) == (80, ("0.0.0.0/0",))
    assert config.network is None
    assert config.override.header == "X-Model-Variant"


@given(st.integers(min_value=0, max_value=999), st.integers(min_value=1, max_value=999))
def test_any_weight_in_range_is_accepted(w1: int, w2: int) -> None:
    raw = base_raw()
    raw["variants"]["champion"]["weight"] = w1
    raw["variants"]["challenger"]["weight"] = w2
    assert parse_config(raw).variant("champion").weight == w1


@given(st.one_of(st.integers(max_value=-1), st.integers(min_value=1000), st.floats(), st.booleans(), st.text(max_size=3)))
def test_any_weight_out_of_range_or_not_an_integer_is_rejected(bad: Any) -> None:
    if isinstance(bad, str) and re.fullmatch(r"-?[0-9]+", bad.strip()) and 0 <= int(bad) <= 999:
        return  # an integer-looking string in range is accepted on purpose
    assert any(p.startswith("variants.challenger.weight: got ") and "0 to 999" in p for p in problems(with_variant(weight=bad)))


def test_integer_strings_are_accepted_as_pulumi_may_store_them() -> None:
    assert parse_config(with_variant(weight="25")).variant("challenger").weight == 25


def test_all_weights_zero_is_rejected() -> None:
    raw = base_raw()
    for v in raw["variants"].values():
        v["weight"] = 0
    assert any("every weight is 0" in p for p in problems(raw))


@pytest.mark.parametrize("count", [0, 1, 6])
def test_variant_count_must_be_two_to_five(count: int) -> None:
    raw = base_raw()
    raw["variants"] = {f"v{i}": {"weight": 1, "rulePriority": i + 1} for i in range(count)}
    found = problems(raw)
    assert any(p.startswith("variants:") and "2 to 5" in p for p in found), found


def test_five_variants_are_allowed() -> None:
    raw = base_raw()
    raw["variants"] = {f"v{i}": {"weight": 1, "rulePriority": i + 1} for i in range(5)}
    assert len(parse_config(raw).variants) == 5


@pytest.mark.parametrize("name", ["Champion", "1st", "a_b", "ends-", "x" * 21, "", "a b"])
def test_bad_variant_names_are_rejected(name: str) -> None:
    raw = base_raw()
    raw["variants"][name] = {"weight": 1}
    assert any(p.startswith(f"variants.{name}:") and "invalid variant name" in p for p in problems(raw))


@given(st.from_regex(r"[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?", fullmatch=True))
def test_good_variant_names_are_accepted(name: str) -> None:
    raw = base_raw()
    raw["variants"] = {name: {"weight": 1, "rulePriority": 1}, "zz-other": {"weight": 1, "rulePriority": 2}}
    if name == "zz-other":
        return
    assert parse_config(raw).variant(name).name == name


@pytest.mark.parametrize(
    ("changes", "path", "allowed"),
    [
        ({"port": 0}, "port", "1 to 65535"),
        ({"port": 65536}, "port", "1 to 65535"),
        ({"protocol": "TCP"}, "protocol", "HTTP, HTTPS"),
        ({"targetType": "alb"}, "targetType", "instance, ip, lambda"),
        ({"deregistrationDelay": 3601}, "deregistrationDelay", "0 to 3600"),
        ({"slowStart": 29}, "slowStart", "30 to 900"),
        ({"slowStart": 901}, "slowStart", "0 to 900"),
        ({"algorithm": "random"}, "algorithm", "least_outstanding_requests"),
        ({"control": "yes"}, "control", "true or false"),
        ({"rulePriority": 50001}, "rulePriority", "1 to 50000"),
        ({"targets": "i-0123456789abcdef0"}, "targets", "list of strings"),
    ],
)
def test_variant_field_errors_name_path_value_and_allowed(changes: dict[str, Any], path: str, allowed: str) -> None:
    found = problems(with_variant(**changes))
    (value,) = changes.values()
    matching = [p for p in found if p.startswith(f"variants.challenger.{path}: got ")]
    assert matching and allowed in matching[0], found
    assert repr(value).strip("'") in matching[0] or str(value) in matching[0]


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("interval", 4, "5 to 300"),
        ("interval", 301, "5 to 300"),
        ("timeout", 1, "2 to 120"),
        ("timeout", 121, "2 to 120"),
        ("healthyThreshold", 1, "2 to 10"),
        ("healthyThreshold", 11, "2 to 10"),
        ("unhealthyThreshold", 1, "2 to 10"),
        ("unhealthyThreshold", 11, "2 to 10"),
        ("path", "ping", "start with '/'"),
        ("path", "/" + "a" * 1024, "1-1024"),
        ("path", "/with space", "without spaces"),
        ("matcher", "500", "200 to 499"),
        ("matcher", "200-", "200 to 499"),
        ("matcher", "ok", "200 to 499"),
        ("port", 70000, "1 to 65535"),
        ("protocol", "TCP", "HTTP, HTTPS"),
        ("enabled", "maybe", "true or false"),
    ],
)
def test_health_check_ranges(field: str, value: Any, allowed: str) -> None:
    found = problems(with_variant(healthCheck={field: value}))
    matching = [p for p in found if p.startswith(f"variants.challenger.healthCheck.{field}: got")]
    assert matching and allowed in matching[0], found


@pytest.mark.parametrize("matcher", ["200", "200,202", "200-299", "499", "200,302,404"])
def test_good_matchers(matcher: str) -> None:
    assert parse_config(with_variant(healthCheck={"matcher": matcher})).variant("challenger").health_check.matcher == matcher


@given(st.integers(min_value=5, max_value=300), st.integers(min_value=2, max_value=120))
def test_timeout_must_be_less_than_interval(interval: int, timeout: int) -> None:
    raw = with_variant(healthCheck={"interval": interval, "timeout": timeout})
    if timeout < interval:
        assert parse_config(raw).variant("challenger").health_check.timeout == timeout
    else:
        assert f"variants.challenger.healthCheck.timeout: got {timeout}; must be less than interval ({interval})" in " ".join(problems(raw))


@pytest.mark.parametrize(
    ("target_type", "target", "ok"),
    [
        ("instance", "i-0123456789abcdef0", True),
        ("instance", "i-01234567", True),
        ("instance", "i-0123", False),
        ("instance", "10.0.0.1", False),
        ("ip", "10.0.1.15", True),
        ("ip", "172.16.0.1", True),
        ("ip", "100.64.0.9", True),
        ("ip", "8.8.8.8", False),
        ("ip", "127.0.0.1", False),
        ("ip", "fd00::1", False),
        ("ip", "not-an-ip", False),
        ("lambda", LAMBDA_ARN, True),
        ("lambda", LAMBDA_ARN + ":live", True),
        ("lambda", "arn:aws:lambda:us-east-1:1234:function:x", False),
        ("lambda", "my-function", False),
    ],
)
def test_target_formats_per_type(target_type: str, target: str, ok: bool) -> None:
    assert (target_problem(target_type, target) is None) is ok


def test_bad_target_names_its_index_and_type() -> None:
    found = problems(with_variant(targets=["i-0aaaaaaaaaaaaaaa1", "10.0.0.1"]))
    assert any(p.startswith('variants.challenger.targets[1]: got "10.0.0.1"; must be an EC2 instance id') for p in found)


def test_lambda_variant_rejects_port_protocol_and_second_function() -> None:
    found = problems(with_variant(targetType="lambda", port=8080, protocol="HTTP", targets=[LAMBDA_ARN, LAMBDA_ARN + ":v2"]))
    text = "\n".join(found)
    assert "variants.challenger.port: got 8080; not allowed for a lambda variant" in text
    assert "variants.challenger.protocol" in text
    assert "at most one function ARN" in text


def test_duplicate_targets_are_rejected() -> None:
    assert any("more than once" in p for p in problems(with_variant(targets=["i-0aaaaaaaaaaaaaaa1"] * 2)))


def test_more_than_one_control_is_rejected() -> None:
    assert any("2 variants have control: true" in p for p in problems(with_variant(control=True)))


def test_rule_priority_collision_is_a_config_error() -> None:
    champion_priority = derived_rule_priority("champion")
    found = problems(with_variant(rulePriority=champion_priority))
    assert any("rulePriority" in p and "also variant" in p for p in found), found


@pytest.mark.parametrize(
    ("stickiness", "ok"),
    [
        ({"duration": 1}, True),
        ({"duration": 604800}, True),
        ({"duration": 0}, False),
        ({"duration": 604801}, False),
        ({"enabled": False, "duration": 0}, False),
        ({"enabled": False}, True),
        ({"enabeld": True}, False),
    ],
)
def test_stickiness(stickiness: dict[str, Any], ok: bool) -> None:
    raw = base_raw()
    raw["stickiness"] = stickiness
    if ok:
        parse_config(raw)
    else:
        assert any(p.startswith("stickiness") for p in problems(raw))


@pytest.mark.parametrize("header", ["X-Model-Variant", "x-variant", "Variant_1"])
def test_good_override_headers(header: str) -> None:
    raw = base_raw()
    raw["overrideHeader"] = header
    assert parse_config(raw).override.header == header


@pytest.mark.parametrize("header", ["Host", "host", "X-Model*", "X Model", "X" * 41, "X?", 42])
def test_bad_override_headers(header: Any) -> None:
    raw = base_raw()
    raw["overrideHeader"] = header
    assert any(p.startswith("overrideHeader: got") for p in problems(raw))


def test_override_off_and_source_cidrs() -> None:
    raw = base_raw()
    raw["overrideHeader"] = ""
    assert parse_config(raw).override.header is None
    raw["overrideSourceCidrs"] = ["10.0.0.0/8"]
    assert any("has no effect" in p for p in problems(raw))
    raw["overrideHeader"] = "X-Model-Variant"
    raw["overrideSourceCidrs"] = [f"10.{i}.0.0/16" for i in range(5)]
    assert any("at most 4" in p for p in problems(raw))


@pytest.mark.parametrize(
    ("cidr", "fragment"),
    [("10.0.0.1/16", "host bits set; the network is 10.0.0.0/16"), ("10.0.0.0", "prefix length"), ("banana/8", "CIDR block")],
)
def test_bad_cidrs_are_explained(cidr: str, fragment: str) -> None:
    raw = base_raw()
    raw["listener"]["allowedCidrs"] = [cidr]
    assert any(p.startswith("listener.allowedCidrs[0]:") and fragment in p for p in problems(raw))


@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32))
def test_any_valid_ipv4_network_is_accepted(address: Any, prefix: int) -> None:
    import ipaddress

    network = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    raw = base_raw()
    raw["listener"]["allowedCidrs"] = [network]
    assert parse_config(raw).listener.allowed_cidrs == (network,)


@pytest.mark.parametrize(
    ("network", "fragment"),
    [
        ({"vpcId": "vpc-0abc1234", "subnetIds": ["subnet-0aaa1111"]}, "at least two subnets"),
        ({"vpcId": "vpc-0abc1234", "subnetIds": ["subnet-0aaa1111", "subnet-0aaa1111"]}, "more than once"),
        ({"vpcId": "vpc-0abc1234", "subnetIds": ["subnet-0aaa1111", "sn-2"]}, "subnet id"),
        ({"subnetIds": ["subnet-0aaa1111", "subnet-0bbb2222"]}, "network.vpcId: missing"),
        ({"vpcId": "vpc-xyz", "subnetIds": ["subnet-0aaa1111", "subnet-0bbb2222"]}, "VPC id"),
        ({}, "network: is empty"),
    ],
)
def test_network(network: dict[str, Any], fragment: str) -> None:
    raw = base_raw()
    raw["network"] = network
    assert fragment in "\n".join(problems(raw))


def test_unknown_keys_are_reported_with_a_suggestion() -> None:
    raw = base_raw()
    raw["varients"] = {}
    raw["variants"]["challenger"]["wieght"] = 3
    raw["variants"]["champion"]["healthCheck"]["intervall"] = 3
    raw["listener"]["prot"] = "HTTP"
    text = "\n".join(problems(raw))
    assert "varients: unknown key; did you mean 'variants'?" in text
    assert "variants.challenger.wieght: unknown key; did you mean 'weight'?" in text
    assert "variants.champion.healthCheck.intervall: unknown key; did you mean 'interval'?" in text
    assert "listener.prot: unknown key" in text


def test_every_problem_is_reported_at_once() -> None:
    raw = base_raw()
    raw["variants"]["challenger"]["weight"] = -1
    raw["variants"]["champion"]["port"] = 0
    raw["stickiness"]["duration"] = 0
    raw["overrideHeader"] = "Host"
    assert len(problems(raw)) == 4


def test_error_message_lists_each_problem_on_its_own_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(with_variant(weight=1000, port=0))
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("invalid stack config (2 problems)")
    assert lines[1:] == [
        "  - variants.challenger.weight: got 1000; must be an integer from 0 to 999",
        "  - variants.challenger.port: got 0; must be an integer from 1 to 65535",
    ]


@settings(max_examples=50)
@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers(), max_size=3))
def test_arbitrary_top_level_junk_never_crashes(junk: dict[str, int]) -> None:
    raw: dict[str, Any] = copy.deepcopy(base_raw())
    raw.update(junk)
    try:
        parse_config(raw)
    except ConfigError as error:
        assert error.issues


# -- AWS cross-field rules (found in review; moto and mocks do not enforce them) -------------------


def test_slow_start_needs_round_robin() -> None:
    found = problems(with_variant(slowStart=120))
    assert any("variants.challenger.slowStart: got 120 with algorithm least_outstanding_requests" in p for p in found)
    assert any("round_robin" in p for p in problems(with_variant(slowStart=60, algorithm="weighted_random")))
    assert parse_config(with_variant(slowStart=60, algorithm="round_robin")).variant("challenger").slow_start == 60


@pytest.mark.parametrize("ip", ["0.0.0.1", "198.18.0.1", "192.0.2.1", "240.0.0.1", "255.255.255.255", "169.254.0.1"])
def test_ip_targets_outside_the_ranges_alb_accepts_are_rejected(ip: str) -> None:
    assert target_problem("ip", ip) is not None


def test_arns_from_another_region_are_rejected() -> None:
    raw = base_raw()
    raw["variants"]["challenger"] = {"weight": 1, "targetType": "lambda", "targets": [LAMBDA_ARN.replace("us-east-1", "eu-west-1")]}
    raw["listener"] = {"protocol": "HTTPS", "certificateArn": CERT.replace("us-east-1", "eu-west-1")}
    raw["loadBalancer"] = {"webAclArn": f"arn:aws:wafv2:eu-west-1:{ACCOUNT}:regional/webacl/m/7c1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"}
    text = "\n".join(problems(raw))
    for path in ("variants.challenger.targets[0]", "listener.certificateArn", "loadBalancer.webAclArn"):
        assert f"{path}: got" in text and "is in region eu-west-1; the ALB is in aws:region us-east-1" in text


@pytest.mark.parametrize(
    "policy", ["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS-1-0-2015-04", "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06"]
)
def test_weaker_ssl_policies_are_refused(policy: str) -> None:
    raw = base_raw()
    raw["listener"] = {"protocol": "HTTPS", "certificateArn": CERT}
    raw["listener"]["sslPolicy"] = policy
    assert any(p.startswith("listener.sslPolicy: got") and "stricter" in p for p in problems(raw))
    raw["listener"]["sslPolicy"] = "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09"
    assert parse_config(raw).listener.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09"


def test_problems_are_reported_together_even_for_a_badly_named_variant_and_empty_cidrs() -> None:
    raw = base_raw()
    raw["variants"]["Bad_Name"] = {"weight": 5000, "wieght": 1, "port": 0}
    raw["listener"]["allowedCidrs"] = []
    text = "\n".join(problems(raw))
    for fragment in (
        "variants.Bad_Name: invalid variant name",
        "variants.Bad_Name.weight: got 5000",
        "variants.Bad_Name.wieght: unknown key",
        "variants.Bad_Name.port: got 0",
        "listener.allowedCidrs: is empty",
    ):
        assert fragment in text


def test_unquoted_matcher_is_accepted() -> None:
    assert parse_config(with_variant(healthCheck={"matcher": 200})).variant("challenger").health_check.matcher == "200"


@pytest.mark.parametrize("region", ["5", "useast1", "US-EAST-1", ""])
def test_bad_aws_region_is_a_config_error(region: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(base_raw(), region=region)
    assert any(str(i).startswith("aws:region: got") for i in caught.value.issues)


# Any string, anywhere a config value can stand, ends in a clean ConfigError or a valid config: never
# another exception (which `pulumi up` would show as a traceback). "5\x1f" once raised a bare
# ValueError from int() after the value had been checked in its stripped form.
def _config_paths() -> list[tuple[str, ...]]:
    return [
        ("variants", "challenger", "weight"),
        ("variants", "challenger", "port"),
        ("variants", "challenger", "targetType"),
        ("variants", "challenger", "slowStart"),
        ("variants", "challenger", "control"),
        ("variants", "challenger", "rulePriority"),
        ("variants", "challenger", "healthCheck", "port"),
        ("variants", "challenger", "healthCheck", "interval"),
        ("variants", "challenger", "healthCheck", "matcher"),
        ("stickiness", "duration"),
        ("listener", "port"),
        ("listener", "protocol"),
        ("alarms", "errorRatePercent"),
        ("alarms", "period"),
        ("accessLogs", "retentionDays"),
        ("overrideHeader",),
    ]


def test_a_weight_with_a_trailing_control_character_is_a_config_error() -> None:
    assert problems(with_variant(weight="5\x1f")) == ['variants.challenger.weight: got "5\\u001f"; must be an integer from 0 to 999']
    assert parse_config(with_variant(weight=" 25 ")).variant("challenger").weight == 25


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_config_paths()), st.text(max_size=12))
def test_any_string_anywhere_ends_in_a_clean_result(path: tuple[str, ...], text: str) -> None:
    raw = base_raw()
    node: Any = raw
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = text
    try:
        parse_config(raw)
    except ConfigError as error:
        assert all(str(issue) for issue in error.issues)
