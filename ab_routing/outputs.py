"""The deployed stack as its outputs describe it: the load balancer and each variant's target group.

The report trusts the outputs, not the config, for what is deployed: the config may hold a weight
change that has not been applied yet, and CloudWatch only knows the deployed target groups.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ab_routing.commands import CommandError
from ab_routing.exits import EXIT_FAILURE
from ab_routing.shares import share_percent

Runner = Callable[[Sequence[str], Path], subprocess.CompletedProcess[str]]


class OutputsError(CommandError):
    """The outputs could not be read or lack what a command needs; `exit_code` says whose fault."""


@dataclass(frozen=True)
class DeployedVariant:
    name: str
    target_group_arn_suffix: str
    """`targetgroup/<name>/<id>`: the CloudWatch TargetGroup dimension."""
    weight: int
    share: float
    """Percent of cookie-less traffic the listener sends here, as the outputs state it."""
    target_group_arn: str | None = None
    """The full ARN (what the ELBv2 API and the access logs name); None in outputs that lack it."""
    ecs_cluster: str | None = None
    ecs_service: str | None = None
    """A container variant's ECS cluster and service names (`ecsCluster`, `ecsService`); None otherwise."""


@dataclass(frozen=True)
class Deployed:
    load_balancer_arn_suffix: str
    """`app/<name>/<id>`: the CloudWatch LoadBalancer dimension."""
    variants: tuple[DeployedVariant, ...]
    """In name order."""
    load_balancer_arn: str | None = None
    listener_arn: str | None = None
    """The listener carrying the weighted forward."""
    url: str | None = None
    access_logs_bucket: str | None = None
    logs_database: str | None = None
    """Glue database over the access logs (`logsDatabase`), for `logs --engine athena`."""
    logs_table: str | None = None
    athena_work_group: str | None = None
    alarms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """variant -> {errorRate, latencyP99, noHealthyHosts} alarm names (empty in older outputs)."""
    source: str = "outputs"
    """Where these outputs came from, for messages."""

    def variant(self, name: str) -> DeployedVariant | None:
        return next((v for v in self.variants if v.name == name), None)

    def require(self, key: str) -> str:
        """A top-level string output (`listenerArn`, `url`, ...) or OutputsError naming it."""
        value = {
            "loadBalancerArn": self.load_balancer_arn,
            "listenerArn": self.listener_arn,
            "url": self.url,
            "accessLogsBucket": self.access_logs_bucket,
            "logsDatabase": self.logs_database,
            "logsTable": self.logs_table,
            "athenaWorkGroup": self.athena_work_group,
        }[key]
        if not value:
            raise OutputsError(_missing(self.source, key, value))
        return value


def parse_outputs(document: object, source: str) -> Deployed:
    """`pulumi stack output --json` -> Deployed; OutputsError names the first missing or bad output.

    Only what every command needs is required (`loadBalancerArnSuffix`, `variants` with their
    suffixes and weights); the rest is read when present and required by the command that uses it.
    """
    if not isinstance(document, Mapping):
        raise OutputsError(f"{source}: expected a JSON object of stack outputs")
    if "outputs" in document and "resources" in document:
        raise OutputsError(f"{source}: this is a `plan --json` document; pass its `outputs` object instead")
    lb = document.get("loadBalancerArnSuffix")
    if not isinstance(lb, str) or not lb:
        raise OutputsError(_missing(source, "loadBalancerArnSuffix", lb))
    raw_variants = document.get("variants")
    if not isinstance(raw_variants, Mapping) or not raw_variants:
        raise OutputsError(_missing(source, "variants", raw_variants))
    variants: list[DeployedVariant] = []
    for name in sorted(raw_variants, key=str):
        entry = raw_variants[name]
        if not isinstance(entry, Mapping):
            raise OutputsError(f"{source}: output 'variants.{name}' must be an object")
        suffix = entry.get("targetGroupArnSuffix")
        if not isinstance(suffix, str) or not suffix:
            raise OutputsError(_missing(source, f"variants.{name}.targetGroupArnSuffix", suffix))
        weight = entry.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            raise OutputsError(_missing(source, f"variants.{name}.weight", weight, "a non-negative integer"))
        arn, cluster, service = (entry.get(k) for k in ("targetGroupArn", "ecsCluster", "ecsService"))
        variants.append(
            DeployedVariant(
                str(name),
                suffix,
                weight,
                0.0,
                arn if isinstance(arn, str) and arn else None,
                ecs_cluster=cluster if isinstance(cluster, str) and cluster else None,
                ecs_service=service if isinstance(service, str) and service else None,
            )
        )
    total = sum(v.weight for v in variants)
    placed: list[DeployedVariant] = []
    for v in variants:
        share = raw_variants[v.name].get("share")
        value = float(share) if isinstance(share, int | float) and not isinstance(share, bool) else share_percent(v.weight, total)
        placed.append(replace(v, share=value))
    raw_alarms = document.get("alarms")
    alarms: dict[str, dict[str, str]] = {}
    if isinstance(raw_alarms, Mapping):
        for name, entry in raw_alarms.items():
            if isinstance(entry, Mapping):
                alarms[str(name)] = {str(k): str(v) for k, v in entry.items() if isinstance(v, str)}
    return Deployed(
        lb,
        tuple(placed),
        load_balancer_arn=_optional(document, "loadBalancerArn"),
        listener_arn=_optional(document, "listenerArn"),
        url=_optional(document, "url"),
        access_logs_bucket=_optional(document, "accessLogsBucket"),
        logs_database=_optional(document, "logsDatabase"),
        logs_table=_optional(document, "logsTable"),
        athena_work_group=_optional(document, "athenaWorkGroup"),
        alarms=alarms,
        source=source,
    )


def _optional(document: Mapping[str, object], key: str) -> str | None:
    value = document.get(key)
    return value if isinstance(value, str) and value else None


def _missing(source: str, key: str, value: object, expected: str = "") -> str:
    if value is None:
        return f"{source}: stack output '{key}' is missing; has the stack been deployed with this program (`pulumi up`)?"
    return f"{source}: stack output '{key}' is {json.dumps(value)}; expected {expected or 'a non-empty value'}"


def read_outputs_file(path: Path) -> object:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise OutputsError(f"outputs file {path} not found (create it with `pulumi stack output --json > {path}`)") from None
    except OSError as error:
        raise OutputsError(f"cannot read outputs file {path}: {error.strerror}") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise OutputsError(f"{path}: not valid JSON ({error})") from None


def _run(command: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def pulumi_outputs(stack: str, directory: Path, runner: Runner = _run) -> object:
    """Ask the Pulumi CLI for the stack's outputs. Its absence is a usage problem (exit 2) with a way
    out; a failing CLI (not logged in, no such stack) passes its own message on."""
    command = ["pulumi", "stack", "output", "--json", "--stack", stack]
    hint = f"pass the outputs with --outputs FILE (written elsewhere with `pulumi stack output --json --stack {stack} > FILE`)"
    try:
        result = runner(command, directory)
    except FileNotFoundError:
        raise OutputsError(f"the pulumi CLI is not installed or not on PATH; {hint}") from None
    except subprocess.TimeoutExpired:
        raise OutputsError(f"`{' '.join(command)}` did not answer within 120 s; {hint}", EXIT_FAILURE) from None
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip() or f"exit code {result.returncode}"
        raise OutputsError(f"`{' '.join(command)}` failed: {detail}", EXIT_FAILURE)
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise OutputsError(f"`{' '.join(command)}` did not print JSON", EXIT_FAILURE) from None
