"""Typed, frozen view of a stack's `ab-routing:` config.

Every object here is built once, by `ab_routing.config.parse_config`, after the whole config has
been validated; nothing downstream reads `pulumi.Config`. Ranges and defaults are stated on each
field, and README's config reference mirrors them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TargetType = Literal["instance", "ip", "lambda"]
Protocol = Literal["HTTP", "HTTPS"]
Algorithm = Literal["round_robin", "least_outstanding_requests", "weighted_random"]


@dataclass(frozen=True)
class HealthCheck:
    """A target group's health check.

    Defaults follow the SageMaker inference-container contract (`GET /ping` answering 200), which
    most model servers implement.
    """

    enabled: bool
    """Default true; false for a `lambda` variant unless a healthCheck block is given."""
    path: str
    """1-1024 characters starting with `/`. Default `/ping`."""
    port: str
    """`traffic-port` (default) or a port 1-65535, as a string like AWS takes it."""
    protocol: Protocol
    """HTTP | HTTPS. Default: the variant's protocol."""
    matcher: str
    """HTTP codes 200-499: `200`, `200,202` or `200-299`. Default `200`."""
    interval: int
    """Seconds, 5-300, greater than `timeout`. Default 15 (35 for lambda)."""
    timeout: int
    """Seconds, 2-120, less than `interval`. Default 5 (30 for lambda)."""
    healthy_threshold: int
    """2-10. Default 3."""
    unhealthy_threshold: int
    """2-10. Default 3."""


@dataclass(frozen=True)
class Variant:
    """One model variant: one target group, one share of the weighted forward."""

    name: str
    """Lowercase letters, digits and hyphens, 1-20 chars, starting with a letter."""
    weight: int
    """0-999. Share = weight / sum of weights."""
    target_type: TargetType
    """instance (default) | ip | lambda."""
    port: int | None
    """1-65535, default 8080; None for lambda."""
    protocol: Protocol | None
    """HTTP (default) | HTTPS; None for lambda."""
    targets: tuple[str, ...]
    """Instance ids, private IPs or one Lambda function ARN; may be empty."""
    health_check: HealthCheck
    deregistration_delay: int
    """Seconds, 0-3600. Default 60."""
    slow_start: int
    """Seconds, 0 (off, default) or 30-900."""
    algorithm: Algorithm
    """Default least_outstanding_requests."""
    control: bool
    """True for the variant the others are compared against; at most one."""
    rule_priority: int
    """Priority of this variant's override rule, 1-50000; derived from the name by default."""


@dataclass(frozen=True)
class Stickiness:
    """Target-group stickiness of the weighted forward (the `AWSALBTG` cookie)."""

    enabled: bool
    """Default true."""
    duration: int
    """Seconds, 1-604800, also when disabled. Default 3600."""


@dataclass(frozen=True)
class ListenerSettings:
    """The client-facing listener(s)."""

    port: int
    """Port of the listener carrying the weighted forward, 1-65535. Default 80 (HTTP), 443 (HTTPS)."""
    protocol: Protocol
    """HTTP (default) | HTTPS. With HTTPS, port 80 answers a 301 redirect to HTTPS."""
    allowed_cidrs: tuple[str, ...]
    """IPv4/IPv6 CIDRs admitted to the listener port(s). Default 0.0.0.0/0."""
    certificate_arn: str | None = None
    """ACM (or IAM server) certificate ARN; with HTTPS, required unless `dns` is set."""
    additional_certificate_arns: tuple[str, ...] = ()
    """Extra certificates served by SNI on the HTTPS listener."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    """An ALB security policy name. Default: TLS 1.3 and 1.2."""

    @property
    def https(self) -> bool:
        return self.protocol == "HTTPS"


@dataclass(frozen=True)
class LoadBalancerSettings:
    """Attributes of the load balancer itself."""

    internal: bool = False
    deletion_protection: bool = False
    idle_timeout: int = 300
    """Seconds, 1-4000. Default 300: long enough for slow inference (large models, generation)."""
    drop_invalid_header_fields: bool = True
    http2: bool = True
    desync_mitigation_mode: str = "defensive"
    """monitor | defensive (default) | strictest."""
    ip_address_type: str = "ipv4"
    """ipv4 (default) | dualstack | dualstack-without-public-ipv4."""
    client_keep_alive: int = 3600
    """Seconds, 60-604800. Default 3600 (AWS's default)."""
    web_acl_arn: str | None = None
    """A WAFv2 regional web ACL to associate."""


@dataclass(frozen=True)
class AccessLogs:
    """ALB access logs in S3."""

    enabled: bool = False
    bucket: str | None = None
    """An existing bucket; None: the stack creates one made for ALB logs."""
    prefix: str = ""
    retention_days: int = 90
    """Days before created-bucket logs expire, 1-3650."""


@dataclass(frozen=True)
class AlarmSettings:
    """Per-variant CloudWatch alarms; every alarm notifies one SNS topic."""

    error_rate_percent: float = 5.0
    """Alarm when (target 5XX + target connection errors) / requests exceeds this, in percent (0-100]."""
    latency_p99_ms: int = 2000
    """Alarm when TargetResponseTime p99 exceeds this many milliseconds."""
    period: int = 60
    """Seconds per evaluation period, a multiple of 60 (ALB publishes metrics once a minute)."""
    evaluation_periods: int = 5
    datapoints_to_alarm: int = 3
    """How many of the evaluation periods must breach (M of N), at most evaluation_periods."""
    no_healthy_hosts_periods: int = 2
    """Consecutive periods without a healthy host before that alarm fires, 1-100."""
    emails: tuple[str, ...] = ()
    """Email addresses subscribed to the alarm topic (each must confirm the subscription)."""


@dataclass(frozen=True)
class Dns:
    """A Route 53 alias for the ALB (and, with HTTPS and no certificate ARN, an ACM certificate)."""

    zone_id: str
    record_name: str


@dataclass(frozen=True)
class Network:
    """Where the load balancer lives. Absent: the default VPC and its default subnets."""

    vpc_id: str
    subnet_ids: tuple[str, ...]
    """At least two, in different Availability Zones."""


@dataclass(frozen=True)
class Override:
    """The header that forces one variant, for QA."""

    header: str | None
    """Header name, default `X-Model-Variant`; None when turned off with `overrideHeader: ""`."""
    source_cidrs: tuple[str, ...]
    """When non-empty, the override only works from these CIDRs (at most 4)."""


@dataclass(frozen=True)
class RoutingConfig:
    """The whole validated config of one stack."""

    variants: tuple[Variant, ...]
    """2-5 variants, sorted by name so that YAML key order never matters."""
    stickiness: Stickiness
    listener: ListenerSettings
    network: Network | None
    override: Override
    load_balancer: LoadBalancerSettings = LoadBalancerSettings()
    access_logs: AccessLogs = AccessLogs()
    dns: Dns | None = None
    alarms: AlarmSettings = AlarmSettings()
    region: str = "us-east-1"
    """`aws:region` of the stack."""

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
