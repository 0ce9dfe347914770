"""Scaling a container variant ahead of a weight rise: the task count rule (hypothesis), the ECS
calls against moto, and the load balancer's busiest minute from CloudWatch (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from ab_routing.rollout.capacity import ScaleError, scale_up, service_counts, set_floor, tasks_needed
from ab_routing.rollout.signals import AwsSignals

REGION = "us-east-1"
LB = "app/ab-routing/50dc6c495c0c9188"

bounds = st.integers(1, 50).flatmap(lambda low: st.tuples(st.just(low), st.integers(low, 60)))


@given(busiest=st.integers(0, 200_000), share=st.integers(0, 100), per_task=st.integers(1, 5000), counts=bounds)
def test_tasks_needed_is_the_fewest_that_carry_the_share_within_min_and_max(
    busiest: int, share: int, per_task: int, counts: tuple[int, int]
) -> None:
    low, high = counts
    need = tasks_needed(busiest, share, per_task, low, high)
    assert low <= need.tasks <= high
    load = busiest * share  # requests per minute x 100
    assert need.wanted * per_task * 100 >= load and (need.wanted == 0 or (need.wanted - 1) * per_task * 100 < load)
    assert need.capped == (need.wanted > high)
    assert need.tasks == (high if need.capped else max(need.wanted, low))


@given(busiest=st.integers(0, 50_000), share=st.integers(0, 99), per_task=st.integers(1, 500), counts=bounds)
def test_more_share_or_more_traffic_never_needs_fewer_tasks(busiest: int, share: int, per_task: int, counts: tuple[int, int]) -> None:
    now = tasks_needed(busiest, share, per_task, *counts).tasks
    assert tasks_needed(busiest, share + 1, per_task, *counts).tasks >= now
    assert tasks_needed(busiest + 100, share, per_task, *counts).tasks >= now


def test_fractional_shares_are_exact() -> None:
    third = Fraction(100, 3)  # weights 1:2 give a third
    assert tasks_needed(300, third, 100, 1, 10).tasks == 1  # 100 requests: one task, not two from float rounding
    assert tasks_needed(301, third, 100, 1, 10).tasks == 2


@pytest.mark.parametrize("args", [(-1, 10, 100, 1, 2), (10, 101, 100, 1, 2), (10, -1, 100, 1, 2), (10, 10, 0, 1, 2), (10, 10, 100, 3, 2)])
def test_out_of_range_arguments_are_refused(args: tuple[int, int, int, int, int]) -> None:
    with pytest.raises(ValueError, match="out of range"):
        tasks_needed(*args)


@pytest.fixture
def ecs() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("ecs", region_name=REGION)
        client.create_cluster(clusterName="ab-routing")
        client.register_task_definition(family="model", containerDefinitions=[{"name": "model", "image": "nginx", "memory": 512}])
        client.create_service(cluster="ab-routing", serviceName="challenger", taskDefinition="model", desiredCount=2)
        yield client


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.said: list[str] = []

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_scale_up_raises_the_desired_count_through_the_ecs_api(ecs: Any) -> None:
    clock = Clock()
    counts = scale_up(ecs, "ab-routing", "challenger", 5, clock=lambda: clock.now, sleep=clock.sleep, say=clock.said.append)
    assert (counts.desired, counts.running) == (5, 5)
    assert ecs.describe_services(cluster="ab-routing", services=["challenger"])["services"][0]["desiredCount"] == 5
    assert clock.said == ["scaling challenger from 2 to 5 task(s) before the weight rises"]


def test_the_scaled_up_tasks_are_held_as_the_autoscaling_floor_and_released(ecs: Any) -> None:
    autoscaling = boto3.client("application-autoscaling", region_name=REGION)
    target = {"ServiceNamespace": "ecs", "ResourceId": "service/ab-routing/challenger", "ScalableDimension": "ecs:service:DesiredCount"}
    autoscaling.register_scalable_target(**target, MinCapacity=2, MaxCapacity=8)  # as the stack creates it

    def floor() -> tuple[int, int]:
        (found,) = autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[target["ResourceId"]])["ScalableTargets"]
        return found["MinCapacity"], found["MaxCapacity"]

    clock = Clock()
    scale_up(ecs, "ab-routing", "challenger", 5, clock=lambda: clock.now, sleep=clock.sleep, say=clock.said.append, autoscaling=autoscaling)
    assert floor() == (5, 8)
    set_floor(autoscaling, "ab-routing", "challenger", 2)
    assert floor() == (2, 8)


def test_a_desired_count_lowered_while_waiting_stops_at_once() -> None:
    class Lowered(SlowEcs):
        def describe_services(self, cluster: str, services: list[str]) -> dict[str, Any]:
            answer = super().describe_services(cluster, services)
            self.desired = 2  # something else scaled it back in
            return answer

    clock = Clock()
    with pytest.raises(ScaleError, match="desired count went back to 2 while waiting for 5"):
        scale_up(Lowered(per_poll=0), "c", "s", 5, clock=lambda: clock.now, sleep=clock.sleep, say=clock.said.append)
    assert clock.now < 60


def test_scale_up_never_scales_down(ecs: Any) -> None:
    ecs.update_service(cluster="ab-routing", service="challenger", desiredCount=6)
    clock = Clock()
    counts = scale_up(ecs, "ab-routing", "challenger", 3, clock=lambda: clock.now, sleep=clock.sleep, say=clock.said.append)
    assert counts.desired == 6 and clock.said == [] and clock.now == 0


def test_a_missing_service_is_a_clear_error(ecs: Any) -> None:
    with pytest.raises(ScaleError, match="ECS service gone is not in cluster ab-routing"):
        service_counts(ecs, "ab-routing", "gone")
    with pytest.raises(ScaleError, match="ECS DescribeServices failed: ClusterNotFoundException"):
        service_counts(ecs, "no-such-cluster", "challenger")


class SlowEcs:
    """Tasks that start one per DescribeServices, or never."""

    def __init__(self, per_poll: int) -> None:
        self.desired, self.running, self.per_poll = 2, 2, per_poll

    def describe_services(self, cluster: str, services: list[str]) -> dict[str, Any]:
        status = {"desiredCount": self.desired, "runningCount": self.running, "pendingCount": self.desired - self.running}
        self.running = min(self.desired, self.running + self.per_poll)
        return {"services": [status]}

    def update_service(self, cluster: str, service: str, desiredCount: int) -> None:  # noqa: N803 (boto3's name)
        self.desired = desiredCount


def test_scale_up_waits_for_the_tasks_showing_progress() -> None:
    clock, slow = Clock(), SlowEcs(per_poll=1)
    counts = scale_up(slow, "c", "s", 5, clock=lambda: clock.now, sleep=clock.sleep, say=clock.said.append)
    assert counts.running == 5 and clock.now == 45.0  # three polls of 15 s
    assert clock.said[1:] == [f"waiting for s: {n}/5 task(s) running, {5 - n} pending" for n in (2, 3, 4)]


def test_tasks_that_never_start_time_out_naming_the_counts() -> None:
    clock = Clock()
    with pytest.raises(ScaleError, match=r"s runs 2 of 4 task\(s\) after 100 s \(2 pending\)"):
        scale_up(SlowEcs(per_poll=0), "c", "s", 4, clock=lambda: clock.now, sleep=clock.sleep, say=clock.said.append, timeout=100)
    assert clock.now == 100


def test_busiest_minute_is_the_load_balancers_highest_minute_in_the_window() -> None:
    start = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        for minute, count in ((0, 300), (1, 900), (2, 400), (20, 5000)):  # the last is outside the window
            for dimensions in ([{"Name": "LoadBalancer", "Value": LB}], [{"Name": "LoadBalancer", "Value": "app/other/1"}]):
                cloudwatch.put_metric_data(
                    Namespace="AWS/ApplicationELB",
                    MetricData=[
                        {
                            "MetricName": "RequestCount",
                            "Dimensions": dimensions,
                            "Timestamp": start + timedelta(minutes=minute, seconds=5),
                            "Value": count if dimensions[0]["Value"] == LB else count * 10,
                        }
                    ],
                )
        signals = AwsSignals(cloudwatch, None)
        assert signals.busiest_minute(LB, start, start + timedelta(minutes=15)) == 900
        assert signals.busiest_minute(LB, start + timedelta(minutes=30), start + timedelta(minutes=45)) == 0
        assert signals.busiest_minute(LB, start, start) == 0
