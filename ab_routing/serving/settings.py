"""The serving keys of a variant (`demo`, `container`) and `network.taskSubnetIds`: typed settings,
declared once with `ab_routing.keys.key`, and the rules across them.

Each key's name, kind, default and description are declared on `DemoSettings` / `ContainerSettings`
(and `Network.task_subnet_ids` in `ab_routing.model`); validation, defaults, the unknown-key check
and README's tables come from those declarations. This module adds the kinds specific to serving
(an image reference, an environment map, `demo: true`, a container section) and the cross-key
rules, and imports nothing from the Pulumi SDK.

Cross-key rules (`check_variant_serving`, `check_container`, `check_task_subnets`,
`check_serving`): a variant is one of `targets`, `demo` or `container`; a demo implies target type
`lambda` and a container target type `ip`, and a container's port is the target group's; Fargate
CPU/memory pairs and task counts; a demo's timeout is below the ALB's idle timeout and above its
longest sleep; container variants need `network.taskSubnetIds` unless they get public IPs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ab_routing.keys import INVALID, Bool, Int, IntChoice, Kind, Number, Parsed, Section, key, read_section
from ab_routing.serving.demo_handler import SLEEP_SPREAD
from ab_routing.serving.fargate import FARGATE_MEMORY, IMAGE_MAX, fargate_problem, image_problem
from ab_routing.validate import MISSING, Checker, join, show

if TYPE_CHECKING:
    from ab_routing.model import Variant

LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
"""The retention periods CloudWatch Logs accepts (0, never expire, is deliberately not offered)."""
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
TASK_SUBNETS_ALLOWED = "at least two subnet ids of the ALB's VPC, in different Availability Zones"
IMAGE_ALLOWED = f"[registry/]repository[:tag][@digest], at most {IMAGE_MAX} chars"
RETENTION = IntChoice(LOG_RETENTION_DAYS, "a CloudWatch Logs retention period: 1, 3, 5, 7, 14, 30, ... 3653")
COUNT = Int(1, 5000)


# -- kinds of serving keys ------------------------------------------------------------------------


def parse_image(value: object) -> str:
    """An image reference ECS can pull; ValueError saying what was got and what is allowed."""
    problem = image_problem(value) if isinstance(value, str) else f"must be a string: {IMAGE_ALLOWED}"
    if problem:
        raise ValueError(f"got {show(value)}; {problem}")
    assert isinstance(value, str)
    return value


@dataclass(frozen=True)
class Environment(Kind):
    """A map of environment variable NAME: "string" -> (name, value) pairs sorted by name; each bad
    entry is reported at its own path."""

    allowed: str = 'map of NAME: "string"'

    def read(self, check: Checker, value: object, path: str) -> Any:
        if value is None:
            return ()
        if not isinstance(value, Mapping):
            check.fail(path, value, 'must be a map of NAME: "string"')
            return INVALID
        before = len(check.issues)
        pairs: list[tuple[str, str]] = []
        for name, text in value.items():
            where = join(path, str(name))
            if not isinstance(name, str) or not ENV_NAME.fullmatch(name):
                check.note(where, "invalid variable name; use letters, digits and _, not starting with a digit")
            elif not isinstance(text, str):
                check.fail(where, text, 'must be a string (quote numbers and booleans in YAML, e.g. "8")')
            else:
                pairs.append((name, text))
        return tuple(sorted(pairs)) if len(check.issues) == before else INVALID


@dataclass(frozen=True)
class DemoSection(Section):
    """`demo: true` (every default), `demo: {...}` (some of them), or `false`/null/absent (no demo)."""

    def read(self, check: Checker, value: object, path: str) -> Any:
        if value is None or value is False:
            return None
        if value is True:
            return self.cls()
        if not isinstance(value, Mapping):
            check.fail(path, value, "must be true, false or a map of the demo keys")
            return INVALID
        return super().read(check, value, path)


@dataclass(frozen=True)
class ContainerSection(Section):
    """`container: {image: ..., ...}`, checked with the rules across its own keys."""

    def read(self, check: Checker, value: object, path: str) -> Any:
        if value is None:
            return None
        if not isinstance(value, Mapping):
            check.fail(path, value, "must be a map with at least an image")
            return INVALID
        container = read_section(check, self.cls, value, path).value
        if container is None:
            # Only the image is required: read the rest again, quietly (its problems are recorded
            # already), so the rules across keys and the variant's rules still run on the others.
            container = read_section(Checker(), self.cls, value, path, defaults={"image": ""}).value
        assert container is not None
        check_container(check, container, path)
        return container


# -- declarations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSettings:
    """A demo model: a small Python Lambda function registered in the variant's target group."""

    error_rate: float = key(
        "errorRate",
        Number(0, 1, "share of requests", closed=True),
        0.0,
        "share of requests answered with HTTP 500, to rehearse a rollback with a worse challenger",
    )
    latency_ms: int = key("latencyMs", Int(0, 60000, unit="ms"), 50, "each answer sleeps a random 0.5x-1.5x this many milliseconds")
    reserved_concurrency: int | None = key(
        "reservedConcurrency",
        Int(1, 1000),
        None,
        "opt-in cost cap (reserved concurrency); off by default: reserving fails on new accounts whose "
        "unreserved pool would drop below AWS's minimum",
    )
    timeout: int = key("timeout", Int(1, 900, unit="s"), 10, "Lambda timeout; below loadBalancer.idleTimeout and above 1.5 x latencyMs")
    memory: int = key("memory", Int(128, 10240, unit="MB"), 128, "Lambda memory size")
    log_retention_days: int = key("logRetentionDays", RETENTION, 14, "days the function's logs are kept")


@dataclass(frozen=True)
class ContainerSettings:
    """A model container served by an ECS Fargate service in the ALB's VPC."""

    image: str = key("image", Parsed(parse_image, IMAGE_ALLOWED), doc="the model server's container image")
    port: int = key("port", Int(1, 65535), 8080, "port the container listens on; also the target group's port")
    cpu: int = key("cpu", IntChoice(tuple(FARGATE_MEMORY)), 256, "task CPU units (1024 = 1 vCPU)")
    memory: int = key("memory", Int(512, 122880, unit="MiB"), 512, "task memory; a Fargate combination with cpu")
    desired_count: int = key(
        "desiredCount", COUNT, 2, "tasks at first deploy (autoscaling owns the count afterwards); within minCount-maxCount"
    )
    min_count: int = key("minCount", COUNT, 2, "fewest tasks autoscaling keeps; 2 or more keeps a task in a second Availability Zone")
    max_count: int = key("maxCount", COUNT, 4, "most tasks autoscaling starts; at least minCount")
    target_requests_per_target: int = key(
        "targetRequestsPerTarget", Int(1, 1_000_000), 100, "autoscaling target: requests per task per minute (ALBRequestCountPerTarget)"
    )
    environment: tuple[tuple[str, str], ...] = key(
        "environment",
        Environment(),
        (),
        "environment variables of the container (names: letters, digits, _)",
        default_doc="`{}`",
    )
    """(name, value) pairs, sorted by name."""
    health_check_grace_period: int = key(
        "healthCheckGracePeriod",
        Int(0, 2147483647, unit="s"),
        60,
        "seconds ECS ignores failing ALB health checks of a new task (model loading)",
    )
    assign_public_ip: bool = key(
        "assignPublicIp", Bool(), False, "give tasks public IPs (needed in public subnets without NAT to pull the image)"
    )
    log_retention_days: int = key("logRetentionDays", RETENTION, 30, "days the tasks' logs are kept")


# -- cross-key rules --------------------------------------------------------------------------

SERVING_KEYS = ("targets", "demo", "container")
IMPLIED_TARGET_TYPE: Mapping[str, Literal["lambda", "ip"]] = {"demo": "lambda", "container": "ip"}


def served_as(s: Mapping[str, object]) -> Literal["demo", "container"] | None:
    """Which kind of served variant the raw settings `s` ask for (None: bring your own targets)."""
    demo = s.get("demo", MISSING)
    if demo is True or isinstance(demo, Mapping):
        return "demo"
    if isinstance(s.get("container", MISSING), Mapping):
        return "container"
    return None


def check_variant_serving(check: Checker, s: Mapping[str, object], path: str) -> Literal["lambda", "ip"] | None:
    """The variant-level rules of `demo` and `container`; returns the target type they imply.

    A variant is one of `targets` (bring your own), `demo` or `container`; the implied target type
    may be written but not contradicted; a container's port is the target group's, so the variant
    takes no `port`. The keys themselves are read from their declarations on `Variant`.
    """
    given = [key for key in SERVING_KEYS if s.get(key, MISSING) not in (MISSING, None, False)]
    if len(given) > 1:
        both = " and ".join(join(path, key) for key in given)
        check.note(path, f"has both {both}; a variant is one of targets (bring your own), demo or container")
    kind = served_as(s)
    if kind is None:
        return None
    implied = IMPLIED_TARGET_TYPE[kind]
    written = s.get("targetType", MISSING)
    if written is not MISSING and written != implied:
        allowed = f"a {kind} variant has target type {implied}; remove targetType or set it to {implied}"
        check.fail(join(path, "targetType"), written, allowed)
    if kind == "container" and "port" in s:
        where = join(path, "container.port")
        check.fail(join(path, "port"), s["port"], f"not allowed with container; the container's port ({where}) is the target group's port")
    return implied


def check_container(check: Checker, c: ContainerSettings, path: str) -> None:
    """Rules across one container's keys: a Fargate CPU/memory pair; minCount <= desiredCount <= maxCount."""
    cpu_reported = any(issue.path == join(path, "cpu") for issue in check.issues)
    combo = fargate_problem(c.cpu, c.memory)
    if combo and not cpu_reported:  # an unknown cpu is already reported on its own key
        check.fail(join(path, "memory"), c.memory, combo)
    if c.min_count > c.max_count:
        check.note(join(path, "maxCount"), f"got {c.max_count}; must be at least minCount ({c.min_count})")
    elif not c.min_count <= c.desired_count <= c.max_count:
        check.note(
            join(path, "desiredCount"), f"got {c.desired_count}; must be within minCount ({c.min_count}) and maxCount ({c.max_count})"
        )


def check_task_subnets(check: Checker, value: object) -> None:
    """`network.taskSubnetIds`, when given, names at least two distinct subnets (each id and
    duplicates are checked by its declaration)."""
    if isinstance(value, list) and len({s for s in value if isinstance(s, str) and s}) < 2:
        check.fail("network.taskSubnetIds", value, f"{TASK_SUBNETS_ALLOWED}, so a variant survives the loss of one zone")


def check_serving(check: Checker, variants: Sequence[Variant], task_subnets: object, idle_timeout: int) -> None:
    """Rules across keys: demo timeouts against the ALB idle timeout and the demo's own sleep;
    where container tasks can run. `task_subnets` is `network.taskSubnetIds` as given (raw), so a
    list with a bad id still counts as given."""
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
    given = isinstance(task_subnets, list) and bool(task_subnets)
    if given and not containers:
        check.fail("network.taskSubnetIds", task_subnets, "only used by container variants; remove it or add a container variant")
    for v in containers:
        assert v.container is not None
        if not given and not v.container.assign_public_ip:
            check.note(
                join(join("variants", v.name), "container"),
                "needs network.taskSubnetIds (private subnets with a NAT gateway or VPC endpoints, in at least two zones), "
                "or container.assignPublicIp: true to run in the ALB's public subnets; "
                "a task without a public IP in a subnet without NAT cannot pull its image",
            )
