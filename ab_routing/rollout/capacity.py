"""Scale a container variant up before its weight rises: target tracking reacts in minutes.

A container variant's Fargate service scales on ALBRequestCountPerTarget (target tracking), which
adds tasks only after minutes of requests above its target: CloudWatch's alarm on one-minute data,
then the scale-out, then the tasks' start and health checks. A variant whose weight jumps from 10 %
to 25 % would serve the new share on the tasks it had. So `rollout` and `promote`, before an apply
that raises a container variant's share:
1. read the load balancer's busiest minute of the last `LOOKBACK` (RequestCount, Sum per minute);
2. compute the tasks the variant needs at the new share: ceil(busiest minute x share /
   targetRequestsPerTarget), within minCount..maxCount (`tasks_needed`, pure);
3. hold that many as a floor: the service's scalable target gets MinCapacity = those tasks
   (Application Auto Scaling), since at the old share the tasks sit below their target load and
   target tracking's scale-in would take the new ones away again before the traffic arrives;
4. if the service wants fewer, raise its desired count too (ECS UpdateService, so they start now;
   Pulumi ignores the service's desired count, autoscaling owns it) and wait until that many tasks
   run (`scale_up`), up to `SCALE_TIMEOUT_SECONDS`; only then is the weight applied.
When the command ends (done, rolled back, failed, interrupted), the floor goes back to the
config's minCount (`release_floor`) and target tracking owns the count again. Nothing is ever
scaled down here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ab_routing.aws_errors import describe
from ab_routing.serving.names import SCALABLE_DIMENSION, scalable_resource_id

LOOKBACK = timedelta(minutes=15)
"""How far back the busiest minute is looked for."""
SCALE_TIMEOUT_SECONDS = 600.0
"""How long the new tasks may take to run (image pull, start, health-check grace) before the step stops."""
POLL_SECONDS = 15.0


@dataclass(frozen=True)
class TasksNeeded:
    tasks: int
    """What to run: `wanted` within minCount..maxCount."""
    wanted: int
    """Tasks the share needs at the target load per task, before the bounds."""

    @property
    def capped(self) -> bool:
        """maxCount is too low for the share: the tasks will run above their target load."""
        return self.wanted > self.tasks


def tasks_needed(busiest_minute: int, share_percent: Fraction | int, per_task: int, min_count: int, max_count: int) -> TasksNeeded:
    """Tasks a variant needs to take `share_percent` (exact: weights give thirds) of
    `busiest_minute` requests at `per_task` requests per task per minute (its autoscaling target),
    within `min_count`..`max_count`."""
    if per_task < 1 or min_count > max_count or busiest_minute < 0 or not 0 <= share_percent <= 100:
        raise ValueError(f"tasks_needed({busiest_minute}, {share_percent}, {per_task}, {min_count}, {max_count}): out of range")
    wanted = math.ceil(busiest_minute * Fraction(share_percent) / (100 * per_task))
    return TasksNeeded(tasks=min(max(wanted, min_count), max_count), wanted=wanted)


class ScaleError(Exception):
    """ECS could not be read or changed, or the tasks did not start in time; the message says which."""


@dataclass(frozen=True)
class ServiceCounts:
    desired: int
    running: int
    pending: int


def _fail(call: str, problem: Exception) -> ScaleError:
    return ScaleError(f"ECS {call} failed: {describe(problem)}")


def service_counts(ecs: Any, cluster: str, service: str) -> ServiceCounts:
    try:
        found = ecs.describe_services(cluster=cluster, services=[service])
    except (ClientError, BotoCoreError) as problem:
        raise _fail("DescribeServices", problem) from None
    services = [s for s in found.get("services", []) if s.get("status") != "INACTIVE"]
    if not services:
        raise ScaleError(f"ECS service {service} is not in cluster {cluster} (outputs `ecsCluster`, `ecsService`); run `pulumi up`")
    s = services[0]
    return ServiceCounts(int(s.get("desiredCount", 0)), int(s.get("runningCount", 0)), int(s.get("pendingCount", 0)))


def set_floor(autoscaling: Any, cluster: str, service: str, tasks: int) -> None:
    """The service's scalable target keeps at least `tasks` tasks (MinCapacity); ScaleError if refused."""
    try:
        autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId=scalable_resource_id(cluster, service),
            ScalableDimension=SCALABLE_DIMENSION,
            MinCapacity=tasks,
        )
    except (ClientError, BotoCoreError) as problem:
        raise ScaleError(f"Application Auto Scaling RegisterScalableTarget failed: {describe(problem)}") from None


def scale_up(
    ecs: Any,
    cluster: str,
    service: str,
    tasks: int,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    say: Callable[[str], None],
    timeout: float = SCALE_TIMEOUT_SECONDS,
    autoscaling: Any = None,
) -> ServiceCounts:
    """Make `service` run at least `tasks` tasks: hold them as its autoscaling floor (when
    `autoscaling` is given) and raise its desired count if lower; waits until they run. Returns the
    counts then; ScaleError when AWS refuses, the count is lowered again, or the tasks do not start."""
    if autoscaling is not None:
        set_floor(autoscaling, cluster, service, tasks)
    counts = service_counts(ecs, cluster, service)
    if counts.desired < tasks:
        say(f"scaling {service} from {counts.desired} to {tasks} task(s) before the weight rises")
        try:
            ecs.update_service(cluster=cluster, service=service, desiredCount=tasks)
        except (ClientError, BotoCoreError) as problem:
            raise _fail("UpdateService", problem) from None
    began = clock()
    while True:
        counts = service_counts(ecs, cluster, service)
        if counts.running >= tasks:
            return counts
        if counts.desired < tasks:
            raise ScaleError(
                f"{service}'s desired count went back to {counts.desired} while waiting for {tasks}: something else scales it "
                "(another autoscaling policy, a deploy); the weight was not raised"
            )
        waited = clock() - began
        if waited >= timeout:
            raise ScaleError(
                f"{service} runs {counts.running} of {tasks} task(s) after {waited:.0f} s ({counts.pending} pending): "
                "check the service's events (image pull, subnets, quotas); the weight was not raised"
            )
        say(f"waiting for {service}: {counts.running}/{tasks} task(s) running, {counts.pending} pending")
        sleep(min(POLL_SECONDS, timeout - waited))
