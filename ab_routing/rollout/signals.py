"""What the bake watches besides the verdict: the variant's alarms, its request count and its
healthy targets, and the load balancer's busiest minute (to scale a container variant ahead of a
weight rise), each one AWS call. `Signals` is the seam tests replace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from ab_routing.aws_errors import describe
from ab_routing.naming import ALB_METRICS_NAMESPACE


class SignalError(Exception):
    """A reading failed; the bake treats it as 'could not check' for that minute."""


@dataclass(frozen=True)
class Health:
    healthy: int
    registered: int
    checked: bool
    """False when every target is `unavailable` (health checks off, e.g. a Lambda variant)."""


class Signals(Protocol):
    def alarm_states(self, names: Sequence[str]) -> Mapping[str, str]:
        """alarm name -> OK | ALARM | INSUFFICIENT_DATA | MISSING (not found)."""
        ...

    def requests(self, load_balancer: str, target_group: str, start: datetime, end: datetime) -> int:
        """RequestCount (Sum) of the target group in [start, end), whole minutes."""
        ...

    def health(self, target_group_arn: str) -> Health: ...

    def busiest_minute(self, load_balancer: str, start: datetime, end: datetime) -> int:
        """The load balancer's highest RequestCount (Sum) of one minute in [start, end); 0 without data."""
        ...


def _fail(call: str, problem: Exception) -> SignalError:
    return SignalError(f"{call} failed: {describe(problem)}")


class AwsSignals:
    def __init__(self, cloudwatch: Any, elbv2: Any) -> None:
        self.cloudwatch = cloudwatch
        self.elbv2 = elbv2

    def alarm_states(self, names: Sequence[str]) -> Mapping[str, str]:
        if not names:
            return {}
        try:
            alarms = self.cloudwatch.describe_alarms(AlarmNames=list(names))["MetricAlarms"]
        except (ClientError, BotoCoreError) as problem:
            raise _fail("DescribeAlarms", problem) from None
        found = {a["AlarmName"]: a["StateValue"] for a in alarms}
        return {name: found.get(name, "MISSING") for name in names}

    def _request_counts(self, dimensions: Mapping[str, str], start: datetime, end: datetime) -> list[float]:
        """RequestCount Sums per minute in [start, end) for one set of dimensions."""
        if end <= start:
            return []
        try:
            points = self.cloudwatch.get_metric_statistics(
                Namespace=ALB_METRICS_NAMESPACE,
                MetricName="RequestCount",
                Dimensions=[{"Name": name, "Value": value} for name, value in dimensions.items()],
                StartTime=start,
                EndTime=end,
                Period=60,
                Statistics=["Sum"],
            )["Datapoints"]
        except (ClientError, BotoCoreError) as problem:
            raise _fail("GetMetricStatistics", problem) from None
        return [float(p.get("Sum", 0)) for p in points]

    def requests(self, load_balancer: str, target_group: str, start: datetime, end: datetime) -> int:
        return int(sum(self._request_counts({"LoadBalancer": load_balancer, "TargetGroup": target_group}, start, end)))

    def busiest_minute(self, load_balancer: str, start: datetime, end: datetime) -> int:
        return int(max(self._request_counts({"LoadBalancer": load_balancer}, start, end), default=0))

    def health(self, target_group_arn: str) -> Health:
        try:
            targets = self.elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
        except (ClientError, BotoCoreError) as problem:
            raise _fail("DescribeTargetHealth", problem) from None
        states = [t.get("TargetHealth", {}).get("State") for t in targets]
        return Health(
            healthy=sum(s == "healthy" for s in states),
            registered=len(states),
            checked=not states or any(s != "unavailable" for s in states),
        )
