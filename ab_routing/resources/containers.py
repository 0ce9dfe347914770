"""Container variants: one ECS cluster shared by them and, per variant, a Fargate service.

pulumi-aws resources directly (not awsx's FargateService, a remote component whose service, roles
and task definition cannot be seen or checked under mocks, and whose service name the autoscaling
target needs). Per variant, named after it: a log group with retention, a task execution role that
may only pull the variant's image and write that log group, a task definition, the service
(attached to the variant's target group, carrying the fleet security group) and target-tracking
autoscaling on ALBRequestCountPerTarget. Argument objects come from `ab_routing.serving.ecs_args`
and `ab_routing.serving.policies`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ab_routing import tags as tagging
from ab_routing.serving import ecs_args, names, policies
from ab_routing.serving.fargate import ecr_repository_arn
from ab_routing.serving.settings import ContainerSettings

CLUSTER_NAME = "ab-routing"
TASKS_GROUP = "ab-routing-tasks"
HTTPS = 443


@dataclass(frozen=True)
class ContainerCluster:
    cluster: aws.ecs.Cluster
    tasks_security_group: aws.ec2.SecurityGroup
    """Every task's second group: no ingress, egress HTTPS only (image pulls, CloudWatch Logs)."""


@dataclass(frozen=True)
class ContainerService:
    cluster_name: pulumi.Output[str]
    service: aws.ecs.Service
    task_definition: aws.ecs.TaskDefinition
    log_group: aws.cloudwatch.LogGroup
    execution_role: aws.iam.Role
    scalable_target: aws.appautoscaling.Target
    scaling_policy: aws.appautoscaling.Policy


def create_container_cluster(parent: pulumi.Resource, tags: Mapping[str, str], *, vpc_id: pulumi.Input[str]) -> ContainerCluster:
    """The cluster all container variants share, and the tasks' egress security group.

    The fleet group (`targetSecurityGroupId`) admits only the ALB and has no egress of its own; a
    task also needs HTTPS out to pull its image and ship its logs (through NAT, VPC endpoints or a
    public IP). Nothing is admitted in by this group.
    """
    child = pulumi.ResourceOptions(parent=parent)
    cluster = aws.ecs.Cluster(
        CLUSTER_NAME,
        settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value="enabled")],
        tags=dict(tags),
        opts=child,
    )
    group = aws.ec2.SecurityGroup(
        TASKS_GROUP,
        vpc_id=vpc_id,
        description="ab-routing Fargate tasks: no ingress; out only HTTPS for image pulls and logs",
        tags=dict(tags),
        opts=child,
    )
    aws.vpc.SecurityGroupEgressRule(
        f"{TASKS_GROUP}-out-{HTTPS}",
        security_group_id=group.id,
        ip_protocol="tcp",
        from_port=HTTPS,
        to_port=HTTPS,
        cidr_ipv4="0.0.0.0/0",
        description="tasks to registries and CloudWatch Logs over HTTPS",
        tags=dict(tags),
        opts=child,
    )
    return ContainerCluster(cluster=cluster, tasks_security_group=group)


def create_container_service(
    parent: pulumi.Resource,
    variant_name: str,
    settings: ContainerSettings,
    cluster: ContainerCluster,
    target_group: aws.lb.TargetGroup,
    *,
    subnets: pulumi.Input[Sequence[str]],
    security_group_id: pulumi.Input[str],
    load_balancer_arn_suffix: pulumi.Input[str],
    region: str,
    depends_on: Sequence[pulumi.Resource],
    tags: Mapping[str, str],
) -> ContainerService:
    """The Fargate service of `variant_name` in `target_group` (target type ip).

    `security_group_id` is the fleet group the ALB may reach; `depends_on` must include the load
    balancer (ECS refuses a target group no listener uses yet). The service ignores later changes
    to its desired count: autoscaling owns it.
    """
    child = pulumi.ResourceOptions(parent=parent)
    variant_tags = tagging.variant_tags(tags, variant_name)
    project, stack = pulumi.get_project(), pulumi.get_stack()
    log_group = aws.cloudwatch.LogGroup(
        f"{variant_name}-tasks",
        name_prefix=names.log_group_prefix(project, stack, variant_name, "tasks"),
        retention_in_days=settings.log_retention_days,
        tags=variant_tags,
        opts=child,
    )
    role_name = f"{variant_name}-task-execution"
    role = aws.iam.Role(
        role_name,
        assume_role_policy=json.dumps(policies.assume_role_policy(policies.ECS_TASKS_SERVICE)),
        description=f"ab-routing task execution role of variant {variant_name}: pulls its image, writes its log group",
        tags=variant_tags,
        opts=child,
    )
    repository = ecr_repository_arn(settings.image)
    role_policy = aws.iam.RolePolicy(
        role_name,
        role=role.id,
        policy=log_group.arn.apply(lambda arn: json.dumps(policies.task_execution_policy(arn, repository))),
        opts=child,
    )
    task_definition = aws.ecs.TaskDefinition(
        variant_name,
        family=names.task_family(project, stack, variant_name),
        cpu=str(settings.cpu),
        memory=str(settings.memory),
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        execution_role_arn=role.arn,
        runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(operating_system_family="LINUX", cpu_architecture="X86_64"),
        container_definitions=log_group.name.apply(
            lambda group: json.dumps(ecs_args.container_definitions(settings, group, region, variant_name), sort_keys=True)
        ),
        tags=variant_tags,
        opts=child,
    )
    service = aws.ecs.Service(
        variant_name,
        ecs_args.service_args(
            settings,
            cluster_arn=cluster.cluster.arn,
            task_definition_arn=task_definition.arn,
            target_group_arn=target_group.arn,
            subnets=subnets,
            security_group_ids=[security_group_id, cluster.tasks_security_group.id],
            tags=variant_tags,
        ),
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["desiredCount"], depends_on=[role_policy, *depends_on]),
    )
    target = aws.appautoscaling.Target(
        variant_name,
        ecs_args.scalable_target_args(settings, cluster.cluster.name, service.name, variant_tags),
        opts=child,
    )
    policy = aws.appautoscaling.Policy(
        f"{variant_name}-requests",
        ecs_args.scaling_policy_args(settings, target, load_balancer_arn_suffix, target_group.arn_suffix),
        opts=child,
    )
    return ContainerService(
        cluster_name=cluster.cluster.name,
        service=service,
        task_definition=task_definition,
        log_group=log_group,
        execution_role=role,
        scalable_target=target,
        scaling_policy=policy,
    )
