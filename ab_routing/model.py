"""Typed, frozen view of a stack's `ab-routing:` config, with every key declared once.

Each field that a config key fills is declared with `ab_routing.keys.key(name, kind, default, doc)`:
the key's camelCase name, its type and allowed values, its default and a one-line description.
Validation, defaults, the unknown-key check and README's config reference all come from these
declarations. Objects are built once, by `ab_routing.config.parse_config`, after the whole config
has been validated; nothing downstream reads `pulumi.Config`.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field
from typing import Literal

from ab_routing.experiment import Experiment
from ab_routing.keys import Bool, Choice, Cidrs, Int, Number, PortOrTraffic, Section, Text, TextList, key
from ab_routing.rollout.settings import RolloutSettings
from ab_routing.serving.settings import TASK_SUBNETS_ALLOWED, ContainerSection, ContainerSettings, DemoSection, DemoSettings

TargetType = Literal["instance", "ip", "lambda"]
Protocol = Literal["HTTP", "HTTPS"]
Algorithm = Literal["least_outstanding_requests", "round_robin", "weighted_random"]
DesyncMode = Literal["monitor", "defensive", "strictest"]
IpAddressType = Literal["ipv4", "dualstack", "dualstack-without-public-ipv4"]

# -- patterns AWS imposes ----------------------------------------------------------------------

VARIANT_NAME = re.compile(r"[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?")
INSTANCE_ID = re.compile(r"i-(?:[0-9a-f]{8}|[0-9a-f]{17})")
LAMBDA_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:lambda:[a-z]{2}(?:-[a-z]+)+-[0-9]:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]{1,128})?"
)
CERTIFICATE_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:(?:acm:[a-z]{2}(?:-[a-z]+)+-[0-9]:[0-9]{12}:certificate/[0-9a-f-]{36}"
    r"|iam::[0-9]{12}:server-certificate/[\w+=,.@/-]{1,128})"
)
KMS_KEY_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:kms:[a-z]{2}(?:-[a-z]+)+-[0-9]:[0-9]{12}:key/[A-Za-z0-9-]{1,64}")
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
HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'+.^_`|~-]{1,40}")
"""RFC 9110 token characters, less the wildcards ALB gives meaning to."""
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
SslPolicy = Literal[
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
]

SSL_POLICIES: tuple[str, ...] = typing.get_args(SslPolicy)
"""The default TLS 1.3 policy and the stricter ones (restricted ciphers, TLS 1.3 only, post-quantum,
FIPS). Policies that admit TLS 1.0/1.1 or the extended (weaker) cipher lists are refused."""

CERTIFICATE_ARN_TEXT = Text(
    CERTIFICATE_ARN,
    "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>) or an IAM server certificate ARN",
    "ACM certificate ARN in the stack's region, or an IAM server certificate ARN",
)


@dataclass(frozen=True)
class HealthCheck:
    """A target group's health check. Defaults follow the SageMaker inference-container contract
    (`GET /ping` answering 200), which most model servers implement."""

    enabled: bool = key(
        "enabled",
        Bool(),
        True,
        "off only for Lambda targets that need no check",
        default_doc="`true` (`false` for lambda unless a `healthCheck` block is given)",
    )
    path: str = key(
        "path",
        Text(
            HEALTH_PATH,
            "must start with '/' and have 1-1024 printable characters without spaces",
            "1-1024 printable chars starting with `/`",
        ),
        "/ping",
        "the model server's cheap liveness endpoint",
    )
    matcher: str = key(
        "matcher",
        Text(
            MATCHER,
            "must be HTTP codes from 200 to 499 as '200', '200,202' or '200-299'",
            "codes 200-499: `200`, `200,202`, `200-299`",
            digits_as_text=True,
        ),
        "200",
        "status codes that count as healthy",
    )
    interval: int = key(
        "interval", Int(5, 300, unit="s"), 15, "seconds between checks; greater than timeout", default_doc="`15` (`35` lambda)"
    )
    timeout: int = key("timeout", Int(2, 120, unit="s"), 5, "seconds to wait; less than interval", default_doc="`5` (`30` lambda)")
    healthy_threshold: int = key("healthyThreshold", Int(2, 10), 3, "consecutive successes before a target is healthy")
    unhealthy_threshold: int = key("unhealthyThreshold", Int(2, 10), 3, "consecutive failures before a target is unhealthy")
    port: int | Literal["traffic-port"] = key("port", PortOrTraffic(), "traffic-port", "not for lambda")
    protocol: Protocol = key("protocol", Choice(), "HTTP", "not for lambda", default_doc="the variant's protocol")


@dataclass(frozen=True)
class Variant:
    """One model variant: one target group, one share of the weighted forward."""

    name: str
    """Lowercase letters, digits and hyphens, 1-20 chars, starting with a letter (the map key)."""
    weight: int = key("weight", Int(0, 999), doc="share = weight / sum of weights; not all 0")
    target_type: TargetType = key("targetType", Choice(), "instance", "how targets are registered")
    port: int | None = key("port", Int(1, 65535), 8080, "the model server's port; not for lambda", default_doc="`8080` (none for lambda)")
    protocol: Protocol | None = key("protocol", Choice(), "HTTP", "not for lambda", default_doc="`HTTP` (none for lambda)")
    targets: tuple[str, ...] = key(
        "targets",
        TextList(allowed="instance ids, private IPv4 addresses or one Lambda ARN (above)"),
        (),
        "optional: autoscaling groups and ECS services register their own",
        default_doc="`[]`",
    )
    health_check: HealthCheck = key(
        "healthCheck", Section(HealthCheck), HealthCheck(), "the target group's health check", default_doc="see below"
    )
    deregistration_delay: int = key("deregistrationDelay", Int(0, 3600, unit="s"), 60, "lets in-flight inferences finish; not for lambda")
    slow_start: int = key(
        "slowStart",
        Int(30, 900, zero_off=True, unit="seconds"),
        0,
        "warm-up ramp; only with `algorithm: round_robin` (AWS's rule); not for lambda",
        default_doc="`0` (off)",
    )
    algorithm: Algorithm = key("algorithm", Choice(), "least_outstanding_requests", "not for lambda")
    control: bool = key("control", Bool(), False, "at most one variant: the baseline the report compares against")
    rule_priority: int = key(
        "rulePriority",
        Int(1, 50000),
        0,
        "set only to resolve a collision the validator reports; unique",
        default_doc="derived from the name",
    )
    demo: DemoSettings | None = key(
        "demo",
        DemoSection(DemoSettings),
        None,
        "serve this variant with a demo Lambda function (implies `targetType: lambda`); `true` takes every default",
    )
    container: ContainerSettings | None = key(
        "container",
        ContainerSection(ContainerSettings),
        None,
        "serve this variant with a Fargate service (implies `targetType: ip`; the variant then takes no `port`)",
    )


@dataclass(frozen=True)
class Stickiness:
    """Target-group stickiness of the weighted forward (the `AWSALBTG` cookie)."""

    enabled: bool = key("enabled", Bool(), True, "clients keep their variant for `duration` seconds")
    duration: int = key("duration", Int(1, 604800, unit="s"), 3600, "also when disabled (AWS requires it)")


@dataclass(frozen=True)
class ListenerSettings:
    """The client-facing listener(s)."""

    protocol: Protocol = key("protocol", Choice(), "HTTP", "with HTTPS, port 80 answers a 301 redirect to HTTPS")
    port: int = key(
        "port", Int(1, 65535), 80, "the weighted-forward listener's port; not 80 with HTTPS", default_doc="`80` (HTTP), `443` (HTTPS)"
    )
    allowed_cidrs: tuple[str, ...] = key(
        "allowedCidrs", Cidrs(), ("0.0.0.0/0",), "admitted on the listener port(s); at least one", default_doc="`[0.0.0.0/0]`"
    )
    certificate_arn: str | None = key("certificateArn", CERTIFICATE_ARN_TEXT, None, "HTTPS needs it unless `dns` is set")
    additional_certificate_arns: tuple[str, ...] = key(
        "additionalCertificateArns",
        TextList(CERTIFICATE_ARN_TEXT, allowed="certificate ARNs"),
        (),
        "more certificates, served by SNI",
        default_doc="`[]`",
    )
    ssl_policy: SslPolicy = key(
        "sslPolicy",
        Choice(
            message=f"must be {DEFAULT_SSL_POLICY} or a stricter ALB policy (TLS 1.2 minimum with TLS 1.3): " + ", ".join(SSL_POLICIES[1:]),
            summary="that policy or a stricter one: the `-Res-`, `TLS13-1-3`, post-quantum (`-PQ-2025-09`) and FIPS "
            "(`-FIPS-2023-04`, `-FIPS-PQ-2025-09`) variants",
        ),
        DEFAULT_SSL_POLICY,
        "policies admitting TLS 1.0/1.1 or extended cipher lists are refused",
    )

    @property
    def https(self) -> bool:
        return self.protocol == "HTTPS"


@dataclass(frozen=True)
class LoadBalancerSettings:
    """Attributes of the load balancer itself."""

    internal: bool = key("internal", Bool(), False, "an internal ALB (reachable only inside the VPC)")
    deletion_protection: bool = key("deletionProtection", Bool(), False, "the prod example turns it on")
    idle_timeout: int = key("idleTimeout", Int(1, 4000, unit="s"), 300, "long enough for slow inference (AWS's default is 60)")
    drop_invalid_header_fields: bool = key("dropInvalidHeaderFields", Bool(), True, "drop headers that are not valid HTTP")
    http2: bool = key("http2", Bool(), True, "HTTP/2 towards clients")
    desync_mitigation_mode: DesyncMode = key("desyncMitigationMode", Choice(), "defensive", "HTTP desync protection")
    ip_address_type: IpAddressType = key("ipAddressType", Choice(), "ipv4", "`dualstack-without-public-ipv4` only internet-facing")
    client_keep_alive: int = key("clientKeepAlive", Int(60, 604800, unit="s"), 3600, "client connection lifetime")
    web_acl_arn: str | None = key(
        "webAclArn",
        Text(
            WEB_ACL_ARN,
            "must be a WAFv2 regional web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)",
            "a WAFv2 regional web ACL ARN",
        ),
        None,
        "associate this web ACL with the ALB",
    )


@dataclass(frozen=True)
class AccessLogs:
    """ALB access logs in S3."""

    enabled: bool = key("enabled", Bool(), False, "write access logs")
    bucket: str | None = key(
        "bucket",
        Text(BUCKET_NAME, "must be an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens", "an S3 bucket name"),
        None,
        "an existing bucket; none: the stack creates one made for ALB logs",
    )
    prefix: str = key(
        "prefix",
        Text(
            LOG_PREFIX,
            "must be up to 200 characters of letters, digits and !_.*'()/-, and must not contain AWSLogs",
            "up to 200 chars, without `AWSLogs`",
        ),
        "",
        "key prefix of the log objects",
        default_doc='`""`',
    )
    retention_days: int = key("retentionDays", Int(1, 3650), 90, "days before logs expire; only for the created bucket")


@dataclass(frozen=True)
class AlarmSettings:
    """Per-variant CloudWatch alarms; every alarm notifies one SNS topic."""

    error_rate_percent: float = key(
        "errorRatePercent", Number(0, 100, "percent of requests"), 5.0, "(target 5XX + target connection errors) / requests, in %"
    )
    latency_p99_ms: int = key("latencyP99Ms", Int(1, 3_600_000, unit="ms"), 2000, "TargetResponseTime p99")
    period: int = key("period", Int(60, 86400, unit="s"), 60, "a multiple of 60 s (ALB publishes its metrics once a minute)")
    evaluation_periods: int = key("evaluationPeriods", Int(1, 100), 5, "period x evaluationPeriods at most one day")
    datapoints_to_alarm: int = key("datapointsToAlarm", Int(1, 100), 3, "at most `evaluationPeriods` (M of N)")
    no_healthy_hosts_periods: int = key("noHealthyHostsPeriods", Int(1, 100), 2, "consecutive periods without a healthy host")
    emails: tuple[str, ...] = key(
        "emails",
        TextList(Text(EMAIL, "must be an email address"), allowed="email addresses"),
        (),
        "subscribed to the alarm topic (each confirms by email)",
        default_doc="`[]`",
    )
    kms_key_arn: str | None = key(
        "kmsKeyArn",
        Text(KMS_KEY_ARN, "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)", "a KMS key ARN"),
        None,
        "a customer managed key to encrypt the alarm topic with; its policy must let cloudwatch.amazonaws.com"
        " kms:Decrypt and kms:GenerateDataKey*",
        default_doc="none: the stack creates one",
    )


@dataclass(frozen=True)
class Dns:
    """A Route 53 alias for the ALB (and, with HTTPS and no certificate ARN, an ACM certificate)."""

    zone_id: str = key(
        "zoneId",
        Text(ZONE_ID, "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ", "a hosted zone id `Z…`"),
        doc="the zone holding the record",
    )
    record_name: str = key(
        "recordName",
        Text(DNS_NAME, "must be a lowercase DNS name such as models.example.com", "a lowercase DNS name"),
        doc="alias A (and AAAA when dual-stack) to the ALB",
    )


@dataclass(frozen=True)
class Network:
    """Where the load balancer lives. Absent: the default VPC and its default subnets."""

    vpc_id: str = key(
        "vpcId",
        Text(VPC_ID, "must be a VPC id such as vpc-0abc1234 (required with subnetIds)", "a VPC id `vpc-…`"),
        doc="the target groups' VPC",
    )
    subnet_ids: tuple[str, ...] = key(
        "subnetIds",
        TextList(Text(SUBNET_ID, "must be a subnet id such as subnet-0aaa1111"), allowed="subnet ids `subnet-…`"),
        doc="at least two, in different Availability Zones",
    )
    task_subnet_ids: tuple[str, ...] = key(
        "taskSubnetIds",
        TextList(Text(SUBNET_ID, "must be a subnet id such as subnet-0aaa1111"), allowed=TASK_SUBNETS_ALLOWED),
        (),
        "where container variants' tasks run (private subnets with NAT or VPC endpoints); "
        "required for container variants unless assignPublicIp",
        default_doc="`[]`",
    )
    target_cidrs: tuple[str, ...] = key(
        "targetCidrs",
        Cidrs(allowed="CIDR blocks"),
        (),
        "networks outside the VPC (peered VPCs, on premises) holding IP targets; the ALB gets egress to each on the IP"
        " variants' traffic and health-check ports",
        default_doc="`[]`",
    )


@dataclass(frozen=True)
class Override:
    """The header that forces one variant, for QA."""

    header: str | None
    """Header name, default `X-Model-Variant`; None when turned off with `overrideHeader: ""`."""
    source_cidrs: tuple[str, ...]
    """When non-empty, the override only works from these CIDRs (at most 4)."""


@dataclass(frozen=True)
class RoutingConfig:
    """The whole validated config of one stack (the top-level `ab-routing:` keys)."""

    variants: tuple[Variant, ...] = key("variants", Section(Variant), doc="2 to 5 variants, name -> settings")
    """2-5 variants, sorted by name so that YAML key order never matters."""
    stickiness: Stickiness = key(
        "stickiness", Section(Stickiness), Stickiness(), "the weighted forward's stickiness", default_doc="see below"
    )
    listener: ListenerSettings = key(
        "listener", Section(ListenerSettings), ListenerSettings(), "the client-facing listener", default_doc="see below"
    )
    network: Network | None = key(
        "network", Section(Network), None, "omitted: the default VPC and its default subnets", default_doc="default VPC"
    )
    override_header: str | None = key(
        "overrideHeader",
        Text(HEADER_NAME, "", 'a header name (1-40 token characters, no `*`/`?`, not `Host`), or `""` to turn the override rules off'),
        "X-Model-Variant",
        "requests carrying `<header>: <variant>` reach that variant",
    )
    override_source_cidrs: tuple[str, ...] = key(
        "overrideSourceCidrs",
        Cidrs(allowed="up to 4 CIDRs"),
        (),
        "the override then works only from these source addresses (the client's public address on an internet-facing ALB)",
        default_doc="`[]` (any source)",
    )
    load_balancer: LoadBalancerSettings = key(
        "loadBalancer", Section(LoadBalancerSettings), LoadBalancerSettings(), "load balancer attributes", default_doc="see below"
    )
    access_logs: AccessLogs = key("accessLogs", Section(AccessLogs), AccessLogs(), "ALB access logs in S3", default_doc="off")
    dns: Dns | None = key("dns", Section(Dns), None, "a Route 53 alias (and an ACM certificate with HTTPS)")
    alarms: AlarmSettings = key("alarms", Section(AlarmSettings), AlarmSettings(), "per-variant alarms", default_doc="see below")
    rollout: RolloutSettings = key(
        "rollout",
        Section(RolloutSettings),
        RolloutSettings(),
        "defaults of `python -m ab_routing rollout`; change no resource",
        default_doc="see below",
    )
    experiment: Experiment | None = key(
        "experiment", Section(Experiment), None, "the running experiment: its start and what the report may conclude; changes no resource"
    )
    region: str = field(default="us-east-1")
    """`aws:region` of the stack (not an `ab-routing:` key)."""

    @property
    def override(self) -> Override:
        return Override(header=self.override_header, source_cidrs=self.override_source_cidrs)

    @property
    def control(self) -> Variant | None:
        """The variant marked `control: true`, if any."""
        return next((v for v in self.variants if v.control), None)

    def variant(self, name: str) -> Variant:
        """The variant called `name` (KeyError when there is none)."""
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)
