"""Raw stack config (the `ab-routing:` keys of `Pulumi.<stack>.yaml`) -> validated `RoutingConfig`.

`parse_config` is the only door from user input into the program. It checks every key against
AWS's documented limits and the program's own rules, collects all problems, and either returns
frozen objects or raises one `ConfigError` listing them all. It registers nothing.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from typing import cast

from ab_routing.access_logs import known_region
from ab_routing.model import (
    AccessLogs,
    AlarmSettings,
    Algorithm,
    Dns,
    HealthCheck,
    ListenerSettings,
    LoadBalancerSettings,
    Network,
    Override,
    Protocol,
    RoutingConfig,
    Stickiness,
    TargetType,
    Variant,
)
from ab_routing.naming import PRIORITY_MAX, PRIORITY_MIN, derived_rule_priority
from ab_routing.validate import MISSING, Checker, ConfigError, join

MIN_VARIANTS = 2
MAX_VARIANTS = 5  # ALB's hard limit of target groups in one forward action
MAX_WEIGHT = 999
MAX_STICKINESS = 604800
MAX_OVERRIDE_CIDRS = 4  # a rule has at most 5 condition values; the header value takes one

DEFAULT_PORT = 8080
DEFAULT_OVERRIDE_HEADER = "X-Model-Variant"

TOP_LEVEL_KEYS = (
    "variants",
    "stickiness",
    "listener",
    "network",
    "overrideHeader",
    "overrideSourceCidrs",
    "loadBalancer",
    "accessLogs",
    "dns",
    "alarms",
)
ALARM_KEYS = ("errorRatePercent", "latencyP99Ms", "period", "evaluationPeriods", "datapointsToAlarm", "noHealthyHostsPeriods", "emails")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LISTENER_KEYS = ("port", "protocol", "allowedCidrs", "certificateArn", "additionalCertificateArns", "sslPolicy")
LOAD_BALANCER_KEYS = (
    "internal",
    "deletionProtection",
    "idleTimeout",
    "dropInvalidHeaderFields",
    "http2",
    "desyncMitigationMode",
    "ipAddressType",
    "clientKeepAlive",
    "webAclArn",
)
SSL_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09",
)
"""The default TLS 1.3 policy and the stricter ones (restricted ciphers, TLS 1.3 only, post-quantum,
FIPS). Policies that admit TLS 1.0/1.1 or the extended (weaker) cipher lists are refused."""
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
VARIANT_KEYS = (
    "weight",
    "port",
    "protocol",
    "targetType",
    "targets",
    "healthCheck",
    "deregistrationDelay",
    "slowStart",
    "algorithm",
    "control",
    "rulePriority",
)
HEALTH_CHECK_KEYS = (
    "enabled",
    "path",
    "port",
    "protocol",
    "matcher",
    "interval",
    "timeout",
    "healthyThreshold",
    "unhealthyThreshold",
)
LAMBDA_ONLY_ABSENT = ("port", "protocol", "deregistrationDelay", "slowStart", "algorithm")

VARIANT_NAME = re.compile(r"[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?")
INSTANCE_ID = re.compile(r"i-(?:[0-9a-f]{8}|[0-9a-f]{17})")
LAMBDA_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:lambda:[a-z]{2}(?:-[a-z]+)+-[0-9]:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]{1,128})?"
)
CERTIFICATE_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:(?:acm:[a-z]{2}(?:-[a-z]+)+-[0-9]:[0-9]{12}:certificate/[0-9a-f-]{36}"
    r"|iam::[0-9]{12}:server-certificate/[\w+=,.@/-]{1,128})"
)
WEB_ACL_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:wafv2:[a-z]{2}(?:-[a-z]+)+-[0-9]:[0-9]{12}:regional/webacl/[\w-]{1,128}/[0-9a-f-]{36}")
ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
DNS_NAME = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?")
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
LOG_PREFIX = re.compile(r"[A-Za-z0-9!_.*'()/-]{0,200}")
VPC_ID = re.compile(r"vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})")
SUBNET_ID = re.compile(r"subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})")
HEALTH_PATH = re.compile(r"/[\x21-\x7e]{0,1023}")
HTTP_CODE = r"(?:[2-4][0-9][0-9])"
MATCHER = re.compile(rf"{HTTP_CODE}(?:-{HTTP_CODE}|(?:,{HTTP_CODE})*)")
# RFC 9110 token characters, less the wildcards ALB gives meaning to
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'+.^_`|~-]{1,40}")
IP_TARGET_RANGES = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
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


def parse_stack_config(values: Mapping[str, object]) -> RoutingConfig:
    """Validate a whole stack's config, keyed as Pulumi keys it (`ab-routing:variants`, `aws:region`),
    values as the engine passes them (JSON text) or as the stack file holds them (parsed YAML).

    Every `ab-routing:` key is read, not key by key, so a misspelt key is reported rather than ignored.
    """
    prefix = f"{NAMESPACE}:"
    raw = {key[len(prefix) :]: decode(value) for key, value in values.items() if key.startswith(prefix)}
    return parse_config(raw, region=str(values.get("aws:region") or DEFAULT_REGION))


def parse_config(raw: Mapping[str, object], region: str = DEFAULT_REGION) -> RoutingConfig:
    """Validate `raw` (keys without the `ab-routing:` prefix) and build the typed config.

    `region` is the stack's `aws:region`. Raises ConfigError with every problem found; returns
    only when there are none.
    """
    check = Checker()
    if not REGION.fullmatch(str(region)):
        check.fail("aws:region", region, "must be an AWS region such as us-east-1")
    top = check.mapping(dict(raw), "", TOP_LEVEL_KEYS)
    variants = _variants(check, top.get("variants", MISSING))
    stickiness = _stickiness(check, top.get("stickiness", MISSING))
    dns = _dns(check, top.get("dns", MISSING))
    listener = _listener(check, top.get("listener", MISSING), dns)
    network = _network(check, top.get("network", MISSING))
    override = _override(check, top.get("overrideHeader", MISSING), top.get("overrideSourceCidrs", MISSING))
    load_balancer = _load_balancer(check, top.get("loadBalancer", MISSING))
    access_logs = _access_logs(check, top.get("accessLogs", MISSING), region)
    alarms = _alarms(check, top.get("alarms", MISSING))
    _check_arn_regions(check, region, variants, listener, load_balancer)
    if check.issues:
        raise ConfigError(check.issues)
    return RoutingConfig(
        variants=tuple(sorted(variants, key=lambda v: v.name)),
        stickiness=stickiness,
        listener=listener,
        network=network,
        override=override,
        load_balancer=load_balancer,
        access_logs=access_logs,
        dns=dns,
        alarms=alarms,
        region=region,
    )


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
    s = check.mapping(settings, path, VARIANT_KEYS)
    weight = check.integer(s.get("weight", MISSING), join(path, "weight"), 0, MAX_WEIGHT)
    target_type = cast(
        TargetType, check.choice(s.get("targetType", MISSING), join(path, "targetType"), ("instance", "ip", "lambda"), "instance")
    )
    is_lambda = target_type == "lambda"
    if is_lambda:
        for key in LAMBDA_ONLY_ABSENT:
            if key in s:
                check.fail(join(path, key), s[key], "not allowed for a lambda variant (ALB invokes the function directly)")
        port = None
        protocol = None
    else:
        port = check.integer(s.get("port", MISSING), join(path, "port"), 1, 65535, DEFAULT_PORT)
        protocol = cast(Protocol, check.choice(s.get("protocol", MISSING), join(path, "protocol"), ("HTTP", "HTTPS"), "HTTP"))
    targets = _targets(check, target_type, s.get("targets", MISSING), join(path, "targets"))
    health_check = _health_check(check, s.get("healthCheck", MISSING), join(path, "healthCheck"), protocol, is_lambda)
    deregistration_delay = check.integer(s.get("deregistrationDelay", MISSING), join(path, "deregistrationDelay"), 0, 3600, 60)
    slow_start = check.integer(s.get("slowStart", MISSING), join(path, "slowStart"), 0, 900, 0)
    if slow_start is not None and 0 < slow_start < 30:
        check.fail(join(path, "slowStart"), s.get("slowStart"), "must be 0 (off) or from 30 to 900 seconds")
    algorithm = cast(
        Algorithm,
        check.choice(
            s.get("algorithm", MISSING),
            join(path, "algorithm"),
            ("least_outstanding_requests", "round_robin", "weighted_random"),
            "least_outstanding_requests",
        ),
    )
    if slow_start and algorithm != "round_robin":
        check.note(
            join(path, "slowStart"),
            f"got {slow_start} with algorithm {algorithm}; AWS allows slow start only with "
            "algorithm: round_robin (set it on this variant, or slowStart: 0)",
        )
    control = check.boolean(s.get("control", MISSING), join(path, "control"), False)
    priority = check.integer(
        s.get("rulePriority", MISSING), join(path, "rulePriority"), PRIORITY_MIN, PRIORITY_MAX, derived_rule_priority(name)
    )
    if weight is None or priority is None or deregistration_delay is None or slow_start is None:
        return None  # already reported
    if port is None and not is_lambda:
        return None
    return Variant(
        name=name,
        weight=weight,
        target_type=target_type,
        port=port,
        protocol=protocol,
        targets=tuple(targets),
        health_check=health_check,
        deregistration_delay=deregistration_delay,
        slow_start=slow_start,
        algorithm=algorithm,
        control=control,
        rule_priority=priority,
    )


def _targets(check: Checker, target_type: str, value: object, path: str) -> list[str]:
    targets = check.string_list(value, path)
    for i, target in enumerate(targets):
        problem = target_problem(target_type, target)
        if problem:
            check.fail(join(path, i), target, problem)
    check.duplicates(targets, path)
    if target_type == "lambda" and len(targets) > 1:
        check.fail(path, targets, "a lambda variant takes at most one function ARN (ALB allows one function per target group)")
    return targets


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
    check: Checker, value: object, path: str, variant_protocol: str | None, is_lambda: bool
) -> HealthCheck:
    given = value is not MISSING and value is not None
    h = check.mapping(value, path, HEALTH_CHECK_KEYS)
    if is_lambda:
        for key in ("port", "protocol"):
            if key in h:
                check.fail(join(path, key), h[key], "not allowed for a lambda variant")
    enabled = check.boolean(h.get("enabled", MISSING), join(path, "enabled"), given or not is_lambda)
    default_interval, default_timeout = (35, 30) if is_lambda else (15, 5)
    interval = check.integer(h.get("interval", MISSING), join(path, "interval"), 5, 300, default_interval)
    timeout = check.integer(h.get("timeout", MISSING), join(path, "timeout"), 2, 120, default_timeout)
    if interval is not None and timeout is not None and timeout >= interval:
        check.note(
            join(path, "timeout"),
            f"got {timeout}; must be less than interval ({interval}), so a check ends before the next begins",
        )
    port_value = h.get("port", MISSING)
    port = "traffic-port"
    if port_value is not MISSING and port_value != "traffic-port":
        number = check.integer(port_value, join(path, "port"), 1, 65535, 0)
        port = str(number) if number else port
    path_allowed = "must start with '/' and have 1-1024 printable characters without spaces"
    return HealthCheck(
        enabled=enabled,
        path=check.string(h.get("path", MISSING), join(path, "path"), HEALTH_PATH, path_allowed, "/ping") or "/ping",
        port=port,
        protocol=check.choice(h.get("protocol", MISSING), join(path, "protocol"), ("HTTP", "HTTPS"), _protocol(variant_protocol)),
        matcher=check.string(
            _digits_as_text(h.get("matcher", MISSING)),
            join(path, "matcher"),
            MATCHER,
            "must be HTTP codes from 200 to 499 as '200', '200,202' or '200-299'",
            "200",
        )
        or "200",
        interval=interval or default_interval,
        timeout=timeout or default_timeout,
        healthy_threshold=check.integer(h.get("healthyThreshold", MISSING), join(path, "healthyThreshold"), 2, 10, 3) or 3,
        unhealthy_threshold=check.integer(h.get("unhealthyThreshold", MISSING), join(path, "unhealthyThreshold"), 2, 10, 3)
        or 3,
    )


def _check_arn_regions(
    check: Checker, region: str, variants: list[Variant], listener: ListenerSettings, load_balancer: LoadBalancerSettings
) -> None:
    """An ALB can only use a certificate, a regional web ACL and Lambda targets from its own region."""
    located: list[tuple[str, str]] = [(join("listener", "certificateArn"), listener.certificate_arn or "")]
    located += [(join("listener.additionalCertificateArns", i), arn) for i, arn in enumerate(listener.additional_certificate_arns)]
    located.append(("loadBalancer.webAclArn", load_balancer.web_acl_arn or ""))
    for v in variants:
        if v.target_type == "lambda":
            located += [(join(join(join("variants", v.name), "targets"), i), arn) for i, arn in enumerate(v.targets)]
    for path, arn in located:
        parts = arn.split(":")
        if len(parts) > 3 and parts[3] and parts[3] != region:
            check.fail(path, arn, f"is in region {parts[3]}; the ALB is in aws:region {region} and can only use resources from there")


def _digits_as_text(value: object) -> object:
    """`matcher: 200` unquoted in YAML is an int; ALB takes the same code as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _protocol(value: str | None) -> Protocol:
    return "HTTPS" if value == "HTTPS" else "HTTP"


def _stickiness(check: Checker, value: object) -> Stickiness:
    s = check.mapping(value, "stickiness", ("enabled", "duration"))
    return Stickiness(
        enabled=check.boolean(s.get("enabled", MISSING), "stickiness.enabled", True),
        duration=check.integer(s.get("duration", MISSING), "stickiness.duration", 1, MAX_STICKINESS, 3600) or 3600,
    )


def _listener(check: Checker, value: object, dns: Dns | None) -> ListenerSettings:
    s = check.mapping(value, "listener", LISTENER_KEYS)
    cidrs = check.cidrs(s.get("allowedCidrs", MISSING), "listener.allowedCidrs", ("0.0.0.0/0",))
    if isinstance(s.get("allowedCidrs", MISSING), list) and not s["allowedCidrs"]:
        check.note("listener.allowedCidrs", "is empty; list at least one CIDR (0.0.0.0/0 admits everyone)")
    protocol = cast(Protocol, check.choice(s.get("protocol", MISSING), "listener.protocol", ("HTTP", "HTTPS"), "HTTP"))
    https = protocol == "HTTPS"
    port = check.integer(s.get("port", MISSING), "listener.port", 1, 65535, 443 if https else 80) or 80
    if https and port == 80:
        check.fail("listener.port", port, "must not be 80 with HTTPS: port 80 answers the redirect to HTTPS")
    arn_allowed = "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>) or an IAM server certificate ARN"
    certificate = check.string(s.get("certificateArn", MISSING), "listener.certificateArn", CERTIFICATE_ARN, arn_allowed, "")
    additional = check.string_list(s.get("additionalCertificateArns", MISSING), "listener.additionalCertificateArns")
    for i, arn in enumerate(additional):
        if not CERTIFICATE_ARN.fullmatch(arn):
            check.fail(join("listener.additionalCertificateArns", i), arn, arn_allowed)
    check.duplicates(additional, "listener.additionalCertificateArns")
    policy = s.get("sslPolicy", MISSING)
    if policy is MISSING:
        policy = DEFAULT_SSL_POLICY
    elif policy not in SSL_POLICIES:
        check.fail(
            "listener.sslPolicy",
            policy,
            f"must be {DEFAULT_SSL_POLICY} or a stricter ALB policy (TLS 1.2 minimum with TLS 1.3): {', '.join(SSL_POLICIES[1:])}",
        )
        policy = DEFAULT_SSL_POLICY
    if https and not certificate and dns is None:
        check.note(
            "listener.certificateArn",
            "missing; HTTPS needs a certificate: set listener.certificateArn, or set dns {zoneId, recordName} "
            "to have the stack issue an ACM certificate validated in that zone",
        )
    if not https:
        for key in ("certificateArn", "additionalCertificateArns", "sslPolicy"):
            if key in s:
                check.fail(join("listener", key), s[key], "only applies with listener.protocol HTTPS")
    return ListenerSettings(
        port=port,
        protocol=protocol,
        allowed_cidrs=tuple(cidrs),
        certificate_arn=certificate or None,
        additional_certificate_arns=tuple(additional),
        ssl_policy=str(policy),
    )


def _load_balancer(check: Checker, value: object) -> LoadBalancerSettings:
    s = check.mapping(value, "loadBalancer", LOAD_BALANCER_KEYS)
    d = LoadBalancerSettings()
    path = "loadBalancer"
    web_acl = check.string(
        s.get("webAclArn", MISSING),
        join(path, "webAclArn"),
        WEB_ACL_ARN,
        "must be a WAFv2 regional web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)",
        "",
    )
    ip_type = check.choice(
        s.get("ipAddressType", MISSING), join(path, "ipAddressType"), ("ipv4", "dualstack", "dualstack-without-public-ipv4"), "ipv4"
    )
    internal = check.boolean(s.get("internal", MISSING), join(path, "internal"), d.internal)
    if internal and ip_type == "dualstack-without-public-ipv4":
        check.fail(join(path, "ipAddressType"), ip_type, "dualstack-without-public-ipv4 is for internet-facing load balancers only")
    return LoadBalancerSettings(
        internal=internal,
        deletion_protection=check.boolean(s.get("deletionProtection", MISSING), join(path, "deletionProtection"), d.deletion_protection),
        idle_timeout=check.integer(s.get("idleTimeout", MISSING), join(path, "idleTimeout"), 1, 4000, d.idle_timeout) or d.idle_timeout,
        drop_invalid_header_fields=check.boolean(
            s.get("dropInvalidHeaderFields", MISSING), join(path, "dropInvalidHeaderFields"), d.drop_invalid_header_fields
        ),
        http2=check.boolean(s.get("http2", MISSING), join(path, "http2"), d.http2),
        desync_mitigation_mode=check.choice(
            s.get("desyncMitigationMode", MISSING),
            join(path, "desyncMitigationMode"),
            ("monitor", "defensive", "strictest"),
            d.desync_mitigation_mode,
        ),
        ip_address_type=ip_type,
        client_keep_alive=check.integer(s.get("clientKeepAlive", MISSING), join(path, "clientKeepAlive"), 60, 604800, d.client_keep_alive)
        or d.client_keep_alive,
        web_acl_arn=web_acl or None,
    )


def _access_logs(check: Checker, value: object, region: str) -> AccessLogs:
    s = check.mapping(value, "accessLogs", ("enabled", "bucket", "prefix", "retentionDays"))
    enabled = check.boolean(s.get("enabled", MISSING), "accessLogs.enabled", False)
    bucket = check.string(
        s.get("bucket", MISSING),
        "accessLogs.bucket",
        BUCKET_NAME,
        "must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens",
        "",
    )
    prefix = check.string(
        s.get("prefix", MISSING),
        "accessLogs.prefix",
        LOG_PREFIX,
        "must be up to 200 characters of letters, digits and !_.*'()/-, and must not contain AWSLogs",
        "",
    ) or ""
    if "AWSLogs" in prefix:
        check.fail("accessLogs.prefix", prefix, "must not contain AWSLogs (ALB adds AWSLogs/<account>/ itself)")
    retention = check.integer(s.get("retentionDays", MISSING), "accessLogs.retentionDays", 1, 3650, 90) or 90
    if enabled and not bucket and not known_region(region):
        check.note(
            "accessLogs",
            f"aws:region {region!r} is not a region this program knows the ALB log-delivery principal for; "
            "set accessLogs.bucket to a bucket you have granted delivery to, or use a known region",
        )
    if bucket and "retentionDays" in s:
        check.fail("accessLogs.retentionDays", s["retentionDays"], "only applies to the bucket the stack creates (no accessLogs.bucket)")
    return AccessLogs(enabled=enabled, bucket=bucket or None, prefix=prefix.strip("/"), retention_days=retention)


def _dns(check: Checker, value: object) -> Dns | None:
    if value is MISSING or value is None:
        return None
    s = check.mapping(value, "dns", ("zoneId", "recordName"))
    zone_allowed = "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"
    zone = check.string(s.get("zoneId", MISSING), "dns.zoneId", ZONE_ID, zone_allowed, None)
    name = check.string(
        s.get("recordName", MISSING),
        "dns.recordName",
        DNS_NAME,
        "must be a lowercase DNS name such as models.example.com",
        None,
    )
    if zone is None or name is None:
        return None
    return Dns(zone_id=zone, record_name=name.rstrip("."))


def _network(check: Checker, value: object) -> Network | None:
    if value is MISSING or value is None:
        return None
    s = check.mapping(value, "network", ("vpcId", "subnetIds"))
    if not s and isinstance(value, Mapping):
        check.note("network", "is empty; give vpcId and subnetIds, or leave network out to use the default VPC")
        return None
    vpc_id = check.string(
        s.get("vpcId", MISSING), "network.vpcId", VPC_ID, "must be a VPC id such as vpc-0abc1234 (required with subnetIds)", None
    )
    subnets = check.string_list(s.get("subnetIds", MISSING), "network.subnetIds")
    for i, subnet in enumerate(subnets):
        if not SUBNET_ID.fullmatch(subnet):
            check.fail(join("network.subnetIds", i), subnet, "must be a subnet id such as subnet-0aaa1111")
    check.duplicates(subnets, "network.subnetIds")
    if len(set(subnets)) < 2:
        check.fail(
            "network.subnetIds",
            s.get("subnetIds", MISSING),
            "an ALB needs at least two subnets, in different Availability Zones",
        )
    return Network(vpc_id=vpc_id or "", subnet_ids=tuple(subnets))


def _override(check: Checker, header_value: object, cidrs_value: object) -> Override:
    header: str | None = DEFAULT_OVERRIDE_HEADER
    if header_value is not MISSING:
        if header_value == "" or header_value is None:
            header = None
        elif isinstance(header_value, str) and HEADER_NAME.fullmatch(header_value) and header_value.lower() != "host":
            header = header_value
        else:
            check.fail(
                "overrideHeader",
                header_value,
                "must be an HTTP header name of 1-40 letters, digits or !#$%&'+.^_`|~- (no wildcards, "
                "not Host), or \"\" to turn the override off",
            )
    cidrs = check.cidrs(cidrs_value, "overrideSourceCidrs")
    if len(cidrs) > MAX_OVERRIDE_CIDRS:
        check.note(
            "overrideSourceCidrs",
            f"got {len(cidrs)} CIDRs; at most {MAX_OVERRIDE_CIDRS} (a listener rule has at most 5 condition "
            "values and the header value takes one)",
        )
    if header is None and cidrs:
        check.note("overrideSourceCidrs", "has no effect while overrideHeader is \"\" (override off); remove one of them")
    return Override(header=header, source_cidrs=tuple(cidrs))


def _alarms(check: Checker, value: object) -> AlarmSettings:
    s = check.mapping(value, "alarms", ALARM_KEYS)
    d = AlarmSettings()
    rate = s.get("errorRatePercent", MISSING)
    error_rate = d.error_rate_percent
    if rate is not MISSING:
        if isinstance(rate, int | float) and not isinstance(rate, bool) and 0 < rate <= 100:
            error_rate = float(rate)
        else:
            check.fail("alarms.errorRatePercent", rate, "must be a number above 0 and at most 100 (percent of requests)")
    period = check.integer(s.get("period", MISSING), "alarms.period", 60, 86400, d.period) or d.period
    if period % 60:
        check.fail("alarms.period", period, "must be a multiple of 60 seconds (ALB publishes its metrics once a minute)")
    evaluation = check.integer(s.get("evaluationPeriods", MISSING), "alarms.evaluationPeriods", 1, 100, d.evaluation_periods)
    datapoints = check.integer(s.get("datapointsToAlarm", MISSING), "alarms.datapointsToAlarm", 1, 100, d.datapoints_to_alarm)
    evaluation = evaluation or d.evaluation_periods
    datapoints = datapoints or d.datapoints_to_alarm
    if "datapointsToAlarm" not in s:
        datapoints = min(datapoints, evaluation)
    if datapoints > evaluation:
        check.note(
            "alarms.datapointsToAlarm",
            f"got {datapoints}; must be at most evaluationPeriods ({evaluation})",
        )
    if period * evaluation > 86400:
        check.note("alarms.evaluationPeriods", f"period x evaluationPeriods is {period * evaluation} s; CloudWatch allows at most one day")
    emails = check.string_list(s.get("emails", MISSING), "alarms.emails")
    for i, email in enumerate(emails):
        if not EMAIL.fullmatch(email):
            check.fail(join("alarms.emails", i), email, "must be an email address")
    check.duplicates(emails, "alarms.emails")
    return AlarmSettings(
        error_rate_percent=error_rate,
        latency_p99_ms=check.integer(s.get("latencyP99Ms", MISSING), "alarms.latencyP99Ms", 1, 3_600_000, d.latency_p99_ms)
        or d.latency_p99_ms,
        period=period,
        evaluation_periods=evaluation,
        datapoints_to_alarm=datapoints,
        no_healthy_hosts_periods=check.integer(
            s.get("noHealthyHostsPeriods", MISSING), "alarms.noHealthyHostsPeriods", 1, 100, d.no_healthy_hosts_periods
        )
        or d.no_healthy_hosts_periods,
        emails=tuple(emails),
    )
