"""The serving keys of a variant (`demo`, `container`) and `network.taskSubnetIds`: typed settings,
their declarations (written once, as data) and pure parsers.

Each key is declared once in `DEMO_KEYS` / `CONTAINER_KEYS` (name, default, allowed values, a
one-line description); the parsers read ranges and defaults from there and README's tables are
rendered from the same data (`markdown_rows`). Parsers record problems on the shared `Checker`, so
a user sees every problem at once, and import nothing from the Pulumi SDK.

Cross-key rules (`check_variant_serving`, `check_serving`): a variant is one of `targets`, `demo`
or `container`; a demo implies target type `lambda` and a container target type `ip`; a demo's
timeout is below the ALB's idle timeout and above its longest sleep; container variants need
`network.taskSubnetIds` unless they get public IPs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ab_routing.serving.demo_handler import SLEEP_SPREAD
from ab_routing.serving.fargate import FARGATE_MEMORY, fargate_problem, image_problem
from ab_routing.validate import MISSING, Checker, join

if TYPE_CHECKING:
    from ab_routing.model import Network, Variant

LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
"""The retention periods CloudWatch Logs accepts (0, never expire, is deliberately not offered)."""
SUBNET_ID = re.compile(r"subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")


@dataclass(frozen=True)
class Key:
    """One config key, declared once: the parser and README's table both read it."""

    name: str
    default: object
    """The value when the key is absent; None: optional without a value; REQUIRED: must be given."""
    allowed: str
    description: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[int, ...] = ()


REQUIRED = "required"

RETENTION = "a CloudWatch Logs retention period: 1, 3, 5, 7, 14, 30, ... 3653"
DEMO_KEYS: tuple[Key, ...] = (
    Key(
        "errorRate", 0.0, "number 0-1",
        "share of requests answered with HTTP 500, to rehearse a rollback with a worse challenger", 0, 1,
    ),
    Key("latencyMs", 50, "integer 0-60000", "each answer sleeps a random 0.5x-1.5x this many milliseconds", 0, 60000),
    Key(
        "reservedConcurrency", None, "integer 1-1000",
        "opt-in cost cap (reserved concurrency); off by default: reserving fails on new accounts whose "
        "unreserved pool would drop below AWS's minimum", 1, 1000,
    ),
    Key("timeout", 10, "integer 1-900 s", "Lambda timeout; below loadBalancer.idleTimeout and above 1.5 x latencyMs", 1, 900),
    Key("memory", 128, "integer 128-10240 MB", "Lambda memory size", 128, 10240),
    Key("logRetentionDays", 14, RETENTION, "days the function's logs are kept", choices=LOG_RETENTION_DAYS),
)  # fmt: skip
CONTAINER_KEYS: tuple[Key, ...] = (
    Key("image", REQUIRED, "[registry/]repository[:tag][@digest], at most 255 chars", "the model server's container image"),
    Key("port", 8080, "integer 1-65535", "port the container listens on; also the target group's port", 1, 65535),
    Key("cpu", 256, "256, 512, 1024, 2048, 4096, 8192 or 16384", "task CPU units (1024 = 1 vCPU)", choices=tuple(FARGATE_MEMORY)),
    Key("memory", 512, "MiB, a Fargate combination with cpu", "task memory", 512, 122880),
    Key(
        "desiredCount", 2, "integer 1-5000, within minCount-maxCount",
        "tasks at first deploy (autoscaling owns the count afterwards)", 1, 5000,
    ),
    Key(
        "minCount", 2, "integer 1-5000",
        "fewest tasks autoscaling keeps; 2 or more keeps a task in a second Availability Zone", 1, 5000,
    ),
    Key("maxCount", 4, "integer 1-5000, at least minCount", "most tasks autoscaling starts", 1, 5000),
    Key(
        "targetRequestsPerTarget", 100, "integer 1-1000000",
        "autoscaling target: requests per task per minute (ALBRequestCountPerTarget)", 1, 1_000_000,
    ),
    Key("environment", {}, 'map of NAME: "string"', "environment variables of the container (names: letters, digits, _)"),
    Key(
        "healthCheckGracePeriod", 60, "integer 0-2147483647 s",
        "seconds ECS ignores failing ALB health checks of a new task (model loading)", 0, 2147483647,
    ),
    Key("assignPublicIp", False, "bool", "give tasks public IPs (needed in public subnets without NAT to pull the image)"),
    Key("logRetentionDays", 30, RETENTION, "days the tasks' logs are kept", choices=LOG_RETENTION_DAYS),
)  # fmt: skip
TASK_SUBNETS_KEY = Key(
    "taskSubnetIds",
    (),
    "at least two subnet ids of the ALB's VPC, in different Availability Zones",
    "where container variants' tasks run (private subnets with NAT or VPC endpoints); "
    "required for container variants unless assignPublicIp",
)


@dataclass(frozen=True)
class DemoSettings:
    """A demo model: a small Python Lambda function registered in the variant's target group."""

    error_rate: float = 0.0
    latency_ms: int = 50
    reserved_concurrency: int | None = None
    timeout: int = 10
    memory: int = 128
    log_retention_days: int = 14


@dataclass(frozen=True)
class ContainerSettings:
    """A model container served by an ECS Fargate service in the ALB's VPC."""

    image: str
    port: int = 8080
    cpu: int = 256
    memory: int = 512
    desired_count: int = 2
    min_count: int = 2
    max_count: int = 4
    target_requests_per_target: int = 100
    environment: tuple[tuple[str, str], ...] = field(default=())
    """(name, value) pairs, sorted by name."""
    health_check_grace_period: int = 60
    assign_public_ip: bool = False
    log_retention_days: int = 30


def markdown_rows(prefix: str, keys: Sequence[Key]) -> list[str]:
    """README table rows for `keys`, each key under `prefix` (e.g. `demo.`)."""

    def default(key: Key) -> str:
        if key.default is REQUIRED:
            return "required"
        if key.default is None:
            return "none"
        if isinstance(key.default, bool):
            return f"`{str(key.default).lower()}`"
        if key.default in ({}, ()):
            return "`{}`" if key.default == {} else "`[]`"
        return f"`{key.default}`"

    return [f"| `{prefix}{k.name}` | {default(k)} | {k.allowed} | {k.description} |" for k in keys]


# -- parsers ----------------------------------------------------------------------------------


def _key(keys: Sequence[Key], name: str) -> Key:
    return next(k for k in keys if k.name == name)


def _integer(check: Checker, s: Mapping[str, object], path: str, key: Key) -> int | None:
    value = s.get(key.name, MISSING)
    where = join(path, key.name)
    default = key.default if isinstance(key.default, int) and not isinstance(key.default, bool) else None
    if key.choices:
        if value is MISSING:
            return default
        if isinstance(value, int) and not isinstance(value, bool) and value in key.choices:
            return value
        check.fail(where, value, f"must be one of {', '.join(map(str, key.choices))}")
        return default
    assert key.lo is not None and key.hi is not None
    if value is MISSING and default is None:
        return None
    return check.integer(value, where, int(key.lo), int(key.hi), default)


def parse_demo(check: Checker, value: object, path: str) -> DemoSettings | None:
    """`demo: true` (defaults), `demo: {...}`, or absent/false (not a demo variant)."""
    if value is MISSING or value is None or value is False:
        return None
    if value is True:
        return DemoSettings()
    s = check.mapping(value, path, [k.name for k in DEMO_KEYS])
    if not isinstance(value, Mapping):
        return None
    rate_key = _key(DEMO_KEYS, "errorRate")
    rate = s.get("errorRate", MISSING)
    error_rate = float(rate_key.default)  # type: ignore[arg-type]
    if rate is not MISSING:
        if isinstance(rate, int | float) and not isinstance(rate, bool) and 0 <= rate <= 1:
            error_rate = float(rate)
        else:
            check.fail(join(path, "errorRate"), rate, "must be a number from 0 to 1 (the share of requests answered with 500)")
    d = DemoSettings()
    return DemoSettings(
        error_rate=error_rate,
        latency_ms=_or(_integer(check, s, path, _key(DEMO_KEYS, "latencyMs")), d.latency_ms),
        reserved_concurrency=_integer(check, s, path, _key(DEMO_KEYS, "reservedConcurrency")),
        timeout=_or(_integer(check, s, path, _key(DEMO_KEYS, "timeout")), d.timeout),
        memory=_or(_integer(check, s, path, _key(DEMO_KEYS, "memory")), d.memory),
        log_retention_days=_or(_integer(check, s, path, _key(DEMO_KEYS, "logRetentionDays")), d.log_retention_days),
    )


def parse_container(check: Checker, value: object, path: str) -> ContainerSettings | None:
    """`container: {image: ..., ...}`, or absent (not a container variant)."""
    if value is MISSING or value is None:
        return None
    if not isinstance(value, Mapping):
        check.fail(path, value, "must be a map with at least an image")
        return None
    s = check.mapping(value, path, [k.name for k in CONTAINER_KEYS])
    image = s.get("image", MISSING)
    problem = image_problem(image) if isinstance(image, str) else _key(CONTAINER_KEYS, "image").allowed
    if problem:
        check.fail(join(path, "image"), image, problem if image is not MISSING else f"required: {problem}")

    def integer(name: str) -> int:
        key = _key(CONTAINER_KEYS, name)
        return _or(_integer(check, s, path, key), int(key.default))  # type: ignore[call-overload]

    cpu, memory = integer("cpu"), integer("memory")
    combo = fargate_problem(cpu, memory)
    if combo and cpu in FARGATE_MEMORY:  # an unknown cpu is already reported on its own key
        check.fail(join(path, "memory"), memory, combo)
    desired, low, high = integer("desiredCount"), integer("minCount"), integer("maxCount")
    if low > high:
        check.note(join(path, "maxCount"), f"got {high}; must be at least minCount ({low})")
    elif not low <= desired <= high:
        check.note(join(path, "desiredCount"), f"got {desired}; must be within minCount ({low}) and maxCount ({high})")
    return ContainerSettings(
        image=image if isinstance(image, str) else "",
        port=integer("port"),
        cpu=cpu,
        memory=memory,
        desired_count=desired,
        min_count=low,
        max_count=high,
        target_requests_per_target=integer("targetRequestsPerTarget"),
        environment=_environment(check, s.get("environment", MISSING), join(path, "environment")),
        health_check_grace_period=integer("healthCheckGracePeriod"),
        assign_public_ip=check.boolean(s.get("assignPublicIp", MISSING), join(path, "assignPublicIp"), False),
        log_retention_days=integer("logRetentionDays"),
    )


def _environment(check: Checker, value: object, path: str) -> tuple[tuple[str, str], ...]:
    if value is MISSING or value is None:
        return ()
    if not isinstance(value, Mapping):
        check.fail(path, value, 'must be a map of NAME: "string"')
        return ()
    pairs: list[tuple[str, str]] = []
    for name, text in value.items():
        where = join(path, str(name))
        if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
            check.note(where, "invalid variable name; use letters, digits and _, not starting with a digit")
        elif not isinstance(text, str):
            check.fail(where, text, 'must be a string (quote numbers and booleans in YAML, e.g. "8")')
        else:
            pairs.append((name, text))
    return tuple(sorted(pairs))


def parse_task_subnet_ids(check: Checker, value: object, path: str) -> tuple[str, ...]:
    """`network.taskSubnetIds`: absent, or at least two distinct subnet ids."""
    if value is MISSING or value is None:
        return ()
    subnets = check.string_list(value, path)
    for i, subnet in enumerate(subnets):
        if not SUBNET_ID.fullmatch(subnet):
            check.fail(join(path, i), subnet, "must be a subnet id such as subnet-0aaa1111")
    check.duplicates(subnets, path)
    if isinstance(value, list) and len(set(subnets)) < 2:
        check.fail(path, value, f"{TASK_SUBNETS_KEY.allowed}, so a variant survives the loss of one zone")
    return tuple(subnets)


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


# -- cross-key rules --------------------------------------------------------------------------

SERVING_KEYS = ("targets", "demo", "container")
VARIANT_KEYS = ("demo", "container")
"""The variant keys this module reads (the framework's unknown-key check must accept them)."""
IMPLIED_TARGET_TYPE = {"demo": "lambda", "container": "ip"}


def check_variant_serving(
    check: Checker, s: Mapping[str, object], path: str
) -> tuple[DemoSettings | None, ContainerSettings | None, str | None]:
    """Parse a variant's `demo` and `container` and check the variant-level rules.

    Returns (demo, container, the target type they imply or None). A variant is one of `targets`
    (bring your own), `demo` or `container`; the implied target type may be written but not
    contradicted; a container's port is the target group's, so the variant takes no `port`.
    """
    given = [key for key in SERVING_KEYS if s.get(key, MISSING) not in (MISSING, None, False)]
    if len(given) > 1:
        both = " and ".join(join(path, key) for key in given)
        check.note(path, f"has both {both}; a variant is one of targets (bring your own), demo or container")
    demo = parse_demo(check, s.get("demo", MISSING), join(path, "demo"))
    container = parse_container(check, s.get("container", MISSING), join(path, "container"))
    kind = "demo" if demo is not None else "container" if container is not None else None
    if kind is None:
        return None, None, None
    implied = IMPLIED_TARGET_TYPE[kind]
    written = s.get("targetType", MISSING)
    if written is not MISSING and written != implied:
        allowed = f"a {kind} variant has target type {implied}; remove targetType or set it to {implied}"
        check.fail(join(path, "targetType"), written, allowed)
    if container is not None and "port" in s:
        where = join(path, "container.port")
        check.fail(join(path, "port"), s["port"], f"not allowed with container; the container's port ({where}) is the target group's port")
    return demo, container, implied


def check_serving(check: Checker, variants: Sequence[Variant], network: Network | None, idle_timeout: int) -> None:
    """Rules across keys: demo timeouts against the ALB idle timeout and the demo's own sleep;
    where container tasks can run."""
    containers = [v for v in variants if v.container is not None]
    for v in variants:
        if v.demo is None:
            continue
        where = join(join(join("variants", v.name), "demo"), "timeout")
        if v.demo.timeout >= idle_timeout:
            check.note(
                where,
                f"got {v.demo.timeout}; must be below loadBalancer.idleTimeout ({idle_timeout}), "
                "or the ALB answers 504 before the function does",
            )
        longest = math.ceil(v.demo.latency_ms * SLEEP_SPREAD[1] / 1000)
        if v.demo.timeout <= longest:
            check.note(
                where,
                f"got {v.demo.timeout}; must be above the longest demo sleep "
                f"({SLEEP_SPREAD[1]} x latencyMs {v.demo.latency_ms} = {longest} s, rounded up)",
            )
    task_subnets = network.task_subnet_ids if network is not None else ()
    if task_subnets and not containers:
        check.fail("network.taskSubnetIds", list(task_subnets), "only used by container variants; remove it or add a container variant")
    for v in containers:
        assert v.container is not None
        if not task_subnets and not v.container.assign_public_ip:
            check.note(
                join(join("variants", v.name), "container"),
                "needs network.taskSubnetIds (private subnets with a NAT gateway or VPC endpoints, in at least two zones), "
                "or container.assignPublicIp: true to run in the ALB's public subnets; "
                "a task without a public IP in a subnet without NAT cannot pull its image",
            )
