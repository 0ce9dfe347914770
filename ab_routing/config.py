"""Raw stack config (the `ab-routing:` keys of `Pulumi.<stack>.yaml`) -> validated `RoutingConfig`.

`parse_config` is the only door from user input into the program. Per-key checks, defaults and the
unknown-key check come from the declarations in `ab_routing.model` (see `ab_routing.keys`); this
module adds only the rules across keys (timeout < interval, slow start only with round robin, keys
not allowed for Lambda, HTTPS needs a certificate, ...). It collects every problem and either
returns frozen objects or raises one `ConfigError` listing them all. It registers nothing.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections.abc import Mapping

from ab_routing.access_logs import known_region
from ab_routing.keys import Read, read_section
from ab_routing.model import (
    HEADER_NAME,
    INSTANCE_ID,
    LAMBDA_ARN,
    VARIANT_NAME,
    AccessLogs,
    AlarmSettings,
    Dns,
    HealthCheck,
    LoadBalancerSettings,
    Network,
    RoutingConfig,
    Variant,
)
from ab_routing.naming import PRIORITY_MAX, PRIORITY_MIN, derived_rule_priority
from ab_routing.rollout.settings import bake_vs_max
from ab_routing.serving import settings as serving
from ab_routing.validate import MISSING, Checker, ConfigError, join

MIN_VARIANTS = 2
MAX_VARIANTS = 5  # ALB's hard limit of target groups in one forward action
MAX_OVERRIDE_CIDRS = 4  # a rule has at most 5 condition values; the header value takes one
LAMBDA_ONLY_ABSENT = ("port", "protocol", "deregistrationDelay", "slowStart", "algorithm")
IP_TARGET_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))
"""The only ranges ALB accepts for IP targets (RFC 1918 and RFC 6598)."""
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]")

NAMESPACE = "ab-routing"
DEFAULT_REGION = "us-east-1"


def decode(value: object) -> object:
    """Pulumi hands structured config over as JSON text; scalars stay as the strings they are."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_stack_config(values: Mapping[str, object], region: str) -> RoutingConfig:
    """Validate a whole stack's config, keyed as Pulumi keys it (`ab-routing:variants`, `aws:region`),
    values as the engine passes them (JSON text) or as the stack file holds them (parsed YAML).

    Every `ab-routing:` key is read, not key by key, so a misspelt key is reported rather than ignored.
    """
    prefix = f"{NAMESPACE}:"
    raw = {key[len(prefix) :]: decode(value) for key, value in values.items() if key.startswith(prefix)}
    return parse_config(raw, region=region)  # resolved as the AWS provider does: ab_routing.region


def parse_config(raw: Mapping[str, object], region: str = DEFAULT_REGION) -> RoutingConfig:
    """Validate `raw` (keys without the `ab-routing:` prefix) and build the typed config.

    `region` is the stack's `aws:region`. Raises ConfigError with every problem found; returns
    only when there are none.
    """
    check = Checker()
    if not REGION.fullmatch(str(region)):
        check.fail("aws:region", region, "must be an AWS region such as us-east-1")
    top_raw = dict(raw)
    dns_raw = top_raw.get("dns", MISSING)
    top = read_section(
        check,
        RoutingConfig,
        top_raw,
        "",
        skip=("variants", "network", "dns", "override_header", "access_logs"),
        extra={"variants": (), "region": region},
    )
    variants = _variants(check, top.raw.get("variants", MISSING))
    dns = None if dns_raw in (MISSING, None) else read_section(check, Dns, dns_raw, "dns").value
    network = _network(check, top.raw.get("network", MISSING))
    override_header = _override_header(check, top.raw.get("overrideHeader", MISSING))
    access_logs = _access_logs(check, top.raw.get("accessLogs", MISSING), region)
    config = top.value
    if config is None:
        raise ConfigError(check.issues)
    config = dataclasses.replace(
        config,
        variants=tuple(sorted(variants, key=lambda v: v.name)),
        network=network,
        dns=dns,
        override_header=override_header,
        access_logs=access_logs,
    )
    _check_listener(check, config, top.raw.get("listener", MISSING))
    _check_override(check, config)
    _check_load_balancer(check, config.load_balancer)
    _check_alarms(check, config.alarms, top.raw.get("alarms", MISSING))
    config = dataclasses.replace(config, alarms=settle_alarms(config.alarms, top.raw.get("alarms", MISSING)))
    _check_arn_regions(check, config)
    for issue in bake_vs_max(config.rollout):
        check.note(issue.path, issue.message)
    network_raw = top.raw.get("network", MISSING)
    task_subnets = network_raw.get("taskSubnetIds", MISSING) if isinstance(network_raw, Mapping) else MISSING
    serving.check_serving(check, config.variants, task_subnets, config.load_balancer.idle_timeout)
    if check.issues:
        raise ConfigError(check.issues)
    return _with_listener_port(config, top.raw.get("listener", MISSING))


# -- variants -----------------------------------------------------------------------------------


def _variants(check: Checker, value: object) -> list[Variant]:
    if value is MISSING or value is None:
        check.fail("variants", MISSING, f"required: a map of {MIN_VARIANTS} to {MAX_VARIANTS} variants, name -> settings")
        return []
    if not isinstance(value, Mapping):
        check.fail("variants", value, "must be a map of variant name -> settings")
        return []
    if not MIN_VARIANTS <= len(value) <= MAX_VARIANTS:
        check.note(
            "variants",
            f"got {len(value)} variant(s); an A/B test needs {MIN_VARIANTS} to {MAX_VARIANTS} "
            f"(ALB forwards to at most {MAX_VARIANTS} target groups in one action)",
        )
    variants: list[Variant] = []
    for name, settings in value.items():
        path = join("variants", str(name))
        if not isinstance(name, str) or not VARIANT_NAME.fullmatch(name):
            check.note(
                path,
                "invalid variant name; use 1-20 lowercase letters, digits and hyphens, starting "
                "with a letter and not ending with a hyphen (it names AWS resources and is the "
                "override header's value)",
            )
            _variant(check, str(name), settings, path)  # still report its settings' problems
            continue
        variant = _variant(check, name, settings, path)
        if variant is not None:
            variants.append(variant)

    if variants and len(variants) == len(value) and all(v.weight == 0 for v in variants):
        check.note("variants", "every weight is 0; at least one variant needs a weight above 0 to receive traffic")
    controls = [v.name for v in variants if v.control]
    if len(controls) > 1:
        check.note("variants", f"{len(controls)} variants have control: true ({', '.join(controls)}); at most one may")
    by_priority: dict[int, str] = {}
    for v in variants:
        other = by_priority.get(v.rule_priority)
        if other is not None:
            check.note(
                join(join("variants", v.name), "rulePriority"),
                f"override rule priority {v.rule_priority} is also variant '{other}''s; set a distinct "
                f"rulePriority ({PRIORITY_MIN}-{PRIORITY_MAX}) on one of them",
            )
        by_priority[v.rule_priority] = v.name
    return variants


def _variant(check: Checker, name: str, settings: object, path: str) -> Variant | None:
    if not isinstance(settings, Mapping):
        check.fail(path, settings, "must be a map of settings with at least a weight")
        return None
    implied_type = serving.check_variant_serving(check, settings, path)
    read = read_section(
        check,
        Variant,
        settings,
        path,
        defaults={"rule_priority": derived_rule_priority(name), "target_type": implied_type or "instance"},
        skip=("health_check",),
        extra={"name": name, "health_check": HealthCheck()},
    )
    variant = read.value
    if variant is None:
        _health_check(check, read.raw.get("healthCheck", MISSING), join(path, "healthCheck"), "HTTP", False)
        return None
    if variant.container is not None:
        variant = dataclasses.replace(variant, port=variant.container.port)
    is_lambda = variant.target_type == "lambda"
    if is_lambda:
        for key in LAMBDA_ONLY_ABSENT:
            if read.given(key):
                check.fail(join(path, key), read.raw[key], "not allowed for a lambda variant (ALB invokes the function directly)")
        variant = dataclasses.replace(variant, port=None, protocol=None)
    _check_targets(check, variant, join(path, "targets"))
    health_check = _health_check(
        check, read.raw.get("healthCheck", MISSING), join(path, "healthCheck"), variant.protocol, is_lambda, variant.demo is not None
    )
    if variant.slow_start and variant.algorithm != "round_robin":
        check.note(
            join(path, "slowStart"),
            f"got {variant.slow_start} with algorithm {variant.algorithm}; AWS allows slow start only with "
            "algorithm: round_robin (set it on this variant, or slowStart: 0)",
        )
    return dataclasses.replace(variant, health_check=health_check)


def _check_targets(check: Checker, variant: Variant, path: str) -> None:
    for i, target in enumerate(variant.targets):
        problem = target_problem(variant.target_type, target)
        if problem:
            check.fail(join(path, i), target, problem)
    if variant.target_type == "lambda" and len(variant.targets) > 1:
        check.fail(
            path, list(variant.targets), "a lambda variant takes at most one function ARN (ALB allows one function per target group)"
        )


def target_problem(target_type: str, target: str) -> str | None:
    """Why `target` cannot be registered in a target group of `target_type` (None when it can)."""
    if target_type == "instance":
        if not INSTANCE_ID.fullmatch(target):
            return "must be an EC2 instance id such as i-0123456789abcdef0 (targetType instance)"
        return None
    if target_type == "ip":
        try:
            address = ipaddress.ip_address(target)
        except ValueError:
            return "must be an IPv4 address such as 10.0.1.15 (targetType ip)"
        if isinstance(address, ipaddress.IPv6Address):
            return "must be an IPv4 address; IPv6 targets are not supported yet"
        if not any(address in network for network in IP_TARGET_RANGES):
            return "must be a private address (RFC 1918 or 100.64.0.0/10); ALB cannot target public IPs"
        return None
    if not LAMBDA_ARN.fullmatch(target):
        return "must be a Lambda function ARN such as arn:aws:lambda:us-east-1:123456789012:function:my-model (targetType lambda)"
    return None


def _health_check(
    check: Checker, value: object, path: str, variant_protocol: str | None, is_lambda: bool, demo: bool = False
) -> HealthCheck:
    given = value is not MISSING and value is not None
    defaults: dict[str, object] = {
        "enabled": given or not is_lambda or demo,
        "protocol": "HTTPS" if variant_protocol == "HTTPS" else "HTTP",
    }
    if is_lambda:
        defaults.update(interval=35, timeout=30)
    read: Read[HealthCheck] = read_section(check, HealthCheck, value, path, defaults=defaults)
    health = read.value or HealthCheck()
    if is_lambda:
        for key in ("port", "protocol"):
            if read.given(key):
                check.fail(join(path, key), read.raw[key], "not allowed for a lambda variant")
    if health.timeout >= health.interval and (read.given("timeout") or read.given("interval")):
        check.note(
            join(path, "timeout"),
            f"got {health.timeout}; must be less than interval ({health.interval}), so a check ends before the next begins",
        )
    return health


# -- listener, network, override, load balancer, logs, alarms -----------------------------------


def _with_listener_port(config: RoutingConfig, raw: object) -> RoutingConfig:
    """HTTPS listens on 443 unless `listener.port` says otherwise."""
    if config.listener.https and not (isinstance(raw, Mapping) and "port" in raw):
        return dataclasses.replace(config, listener=dataclasses.replace(config.listener, port=443))
    return config


def _check_listener(check: Checker, config: RoutingConfig, raw: object) -> None:
    listener = config.listener
    given = raw if isinstance(raw, Mapping) else {}
    if isinstance(given.get("allowedCidrs"), list) and not given["allowedCidrs"]:
        check.note("listener.allowedCidrs", "is empty; list at least one CIDR (0.0.0.0/0 admits everyone)")
    if listener.https and "port" in given and listener.port == 80:
        check.fail("listener.port", listener.port, "must not be 80 with HTTPS: port 80 answers the redirect to HTTPS")
    if listener.https and not listener.certificate_arn and config.dns is None:
        check.note(
            "listener.certificateArn",
            "missing; HTTPS needs a certificate: set listener.certificateArn, or set dns {zoneId, recordName} "
            "to have the stack issue an ACM certificate validated in that zone",
        )
    if not listener.https:
        for key in ("certificateArn", "additionalCertificateArns", "sslPolicy"):
            if key in given:
                check.fail(join("listener", key), given[key], "only applies with listener.protocol HTTPS")


def _network(check: Checker, value: object) -> Network | None:
    if value is MISSING or value is None:
        return None
    if isinstance(value, Mapping) and not value:
        check.note("network", "is empty; give vpcId and subnetIds, or leave network out to use the default VPC")
        return None
    read = read_section(check, Network, value, "network")
    subnets = read.raw.get("subnetIds", MISSING)
    if (read.value is not None and len(set(read.value.subnet_ids)) < 2) or (
        read.value is None and isinstance(subnets, list) and len({s for s in subnets if isinstance(s, str)}) < 2
    ):
        check.fail("network.subnetIds", subnets, "an ALB needs at least two subnets, in different Availability Zones")
    serving.check_task_subnets(check, read.raw.get("taskSubnetIds", MISSING))
    return read.value


def _override_header(check: Checker, value: object) -> str | None:
    if value is MISSING:
        return "X-Model-Variant"
    if value == "" or value is None:
        return None
    if isinstance(value, str) and HEADER_NAME.fullmatch(value) and value.lower() != "host":
        return value
    check.fail(
        "overrideHeader",
        value,
        'must be an HTTP header name of 1-40 letters, digits or !#$%&\'+.^_`|~- (no wildcards, not Host), or "" to turn the override off',
    )
    return "X-Model-Variant"


def _check_override(check: Checker, config: RoutingConfig) -> None:
    cidrs = config.override_source_cidrs
    if len(cidrs) > MAX_OVERRIDE_CIDRS:
        check.note(
            "overrideSourceCidrs",
            f"got {len(cidrs)} CIDRs; at most {MAX_OVERRIDE_CIDRS} (a listener rule has at most 5 condition "
            "values and the header value takes one)",
        )
    if config.override_header is None and cidrs:
        check.note("overrideSourceCidrs", 'has no effect while overrideHeader is "" (override off); remove one of them')


def _check_load_balancer(check: Checker, lb: LoadBalancerSettings) -> None:
    if lb.internal and lb.ip_address_type == "dualstack-without-public-ipv4":
        check.fail(
            "loadBalancer.ipAddressType", lb.ip_address_type, "dualstack-without-public-ipv4 is for internet-facing load balancers only"
        )


def _access_logs(check: Checker, value: object, region: str) -> AccessLogs:
    read = read_section(check, AccessLogs, value, "accessLogs")
    logs = read.value or AccessLogs()
    if "AWSLogs" in logs.prefix:
        check.fail("accessLogs.prefix", logs.prefix, "must not contain AWSLogs (ALB adds AWSLogs/<account>/ itself)")
    if logs.enabled and not logs.bucket and not known_region(region):
        check.note(
            "accessLogs",
            f"aws:region {region!r} is not a region this program knows the ALB log-delivery principal for; "
            "set accessLogs.bucket to a bucket you have granted delivery to, or use a known region",
        )
    if logs.bucket and read.given("retentionDays"):
        check.fail(
            "accessLogs.retentionDays", read.raw["retentionDays"], "only applies to the bucket the stack creates (no accessLogs.bucket)"
        )
    return dataclasses.replace(logs, prefix=logs.prefix.strip("/"))


def _check_alarms(check: Checker, alarms: AlarmSettings, raw: object) -> None:
    given = raw if isinstance(raw, Mapping) else {}
    if alarms.period % 60:
        check.fail("alarms.period", alarms.period, "must be a multiple of 60 seconds (ALB publishes its metrics once a minute)")
    if alarms.datapoints_to_alarm > alarms.evaluation_periods and "datapointsToAlarm" in given:
        check.note(
            "alarms.datapointsToAlarm", f"got {alarms.datapoints_to_alarm}; must be at most evaluationPeriods ({alarms.evaluation_periods})"
        )
    if alarms.period * alarms.evaluation_periods > 86400:
        check.note(
            "alarms.evaluationPeriods",
            f"period x evaluationPeriods is {alarms.period * alarms.evaluation_periods} s; CloudWatch allows at most one day",
        )


def settle_alarms(alarms: AlarmSettings, raw: object) -> AlarmSettings:
    """`datapointsToAlarm` left out follows a smaller `evaluationPeriods` down (M of N, M <= N)."""
    given = raw if isinstance(raw, Mapping) else {}
    if "datapointsToAlarm" not in given and alarms.datapoints_to_alarm > alarms.evaluation_periods:
        return dataclasses.replace(alarms, datapoints_to_alarm=alarms.evaluation_periods)
    return alarms


def _check_arn_regions(check: Checker, config: RoutingConfig) -> None:
    """An ALB can only use a certificate, a regional web ACL and Lambda targets from its own region."""
    listener, region = config.listener, config.region
    located: list[tuple[str, str]] = [(join("listener", "certificateArn"), listener.certificate_arn or "")]
    located += [(join("listener.additionalCertificateArns", i), arn) for i, arn in enumerate(listener.additional_certificate_arns)]
    located.append(("loadBalancer.webAclArn", config.load_balancer.web_acl_arn or ""))
    for v in config.variants:
        if v.target_type == "lambda":
            located += [(join(join(join("variants", v.name), "targets"), i), arn) for i, arn in enumerate(v.targets)]
    for path, arn in located:
        parts = arn.split(":")
        if len(parts) > 3 and parts[3] and parts[3] != region:
            check.fail(path, arn, f"is in region {parts[3]}; the ALB is in aws:region {region} and can only use resources from there")
