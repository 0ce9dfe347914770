"""Pure argument builders of a container variant's ECS and autoscaling resources.

Nothing here registers a resource: `ab_routing.resources.containers` passes these results to the
constructors, and tests call them directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ab_routing.serving.names import SCALABLE_DIMENSION
from ab_routing.serving.settings import ContainerSettings

CONTAINER_NAME = "model"
"""The one container of a variant's task; the service attaches it to the target group by this name."""


def container_definitions(settings: ContainerSettings, log_group_name: str, region: str, stream_prefix: str) -> list[dict[str, Any]]:
    """The task's one container: the image, its port, its environment (sorted, so the same config
    gives the same task definition) and the awslogs driver writing to the variant's log group."""
    return [
        {
            "name": CONTAINER_NAME,
            "image": settings.image,
            "essential": True,
            "portMappings": [{"containerPort": settings.port, "protocol": "tcp"}],
            "environment": [{"name": name, "value": value} for name, value in sorted(settings.environment)],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {"awslogs-group": log_group_name, "awslogs-region": region, "awslogs-stream-prefix": stream_prefix},
            },
        }
    ]


def service_args(
    settings: ContainerSettings,
    *,
    cluster_arn: pulumi.Input[str],
    task_definition_arn: pulumi.Input[str],
    target_group_arn: pulumi.Input[str],
    subnets: pulumi.Input[Sequence[str]],
    security_group_ids: Sequence[pulumi.Input[str]],
    tags: Mapping[str, str],
) -> aws.ecs.ServiceArgs:
    """A variant's Fargate service.

    - circuit breaker with rollback, 100% minimum healthy, 200% maximum: a new image starts beside
      the old tasks and a failing one is rolled back, so a bad image never takes the variant down;
    - `wait_for_steady_state`: `pulumi up` fails when a rollout fails instead of passing silently;
    - tasks spread over the subnets' Availability Zones and rebalanced across them;
    - `desired_count` is only the initial count: autoscaling owns it afterwards (the resource
      ignores changes to it).
    """
    return aws.ecs.ServiceArgs(
        cluster=cluster_arn,
        task_definition=task_definition_arn,
        launch_type="FARGATE",
        platform_version="LATEST",
        scheduling_strategy="REPLICA",
        desired_count=settings.desired_count,
        deployment_minimum_healthy_percent=100,
        deployment_maximum_percent=200,
        deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
        wait_for_steady_state=True,
        availability_zone_rebalancing="ENABLED",
        health_check_grace_period_seconds=settings.health_check_grace_period,
        load_balancers=[
            aws.ecs.ServiceLoadBalancerArgs(target_group_arn=target_group_arn, container_name=CONTAINER_NAME, container_port=settings.port)
        ],
        network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
            subnets=subnets, security_groups=list(security_group_ids), assign_public_ip=settings.assign_public_ip
        ),
        propagate_tags="SERVICE",
        enable_ecs_managed_tags=True,
        tags=dict(tags),
    )


SCALE_OUT_COOLDOWN = 60
SCALE_IN_COOLDOWN = 300
"""Seconds: scale out within a minute of a traffic rise, scale in slowly so one quiet minute does
not drop tasks a model needs warm."""


def scalable_target_args(
    settings: ContainerSettings, cluster_name: pulumi.Input[str], service_name: pulumi.Input[str], tags: Mapping[str, str]
) -> aws.appautoscaling.TargetArgs:
    """The service's desired count as an Application Auto Scaling target, minCount..maxCount."""
    return aws.appautoscaling.TargetArgs(
        service_namespace="ecs",
        scalable_dimension=SCALABLE_DIMENSION,
        resource_id=pulumi.Output.concat("service/", cluster_name, "/", service_name),
        min_capacity=settings.min_count,
        max_capacity=settings.max_count,
        tags=dict(tags),
    )


def resource_label(load_balancer_arn_suffix: pulumi.Input[str], target_group_arn_suffix: pulumi.Input[str]) -> pulumi.Output[str]:
    """`app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`: what ALBRequestCountPerTarget needs."""
    return pulumi.Output.concat(load_balancer_arn_suffix, "/", target_group_arn_suffix)


def scaling_policy_args(
    settings: ContainerSettings,
    target: aws.appautoscaling.Target,
    load_balancer_arn_suffix: pulumi.Input[str],
    target_group_arn_suffix: pulumi.Input[str],
) -> aws.appautoscaling.PolicyArgs:
    """Target tracking on the variant's requests per task per minute (ALBRequestCountPerTarget)."""
    return aws.appautoscaling.PolicyArgs(
        policy_type="TargetTrackingScaling",
        service_namespace=target.service_namespace,
        scalable_dimension=target.scalable_dimension,
        resource_id=target.resource_id,
        target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
            target_value=float(settings.target_requests_per_target),
            predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                predefined_metric_type="ALBRequestCountPerTarget",
                resource_label=resource_label(load_balancer_arn_suffix, target_group_arn_suffix),
            ),
            scale_in_cooldown=SCALE_IN_COOLDOWN,
            scale_out_cooldown=SCALE_OUT_COOLDOWN,
        ),
    )
