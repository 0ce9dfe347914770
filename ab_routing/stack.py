"""The `AbRouting` component: the ALB in front of the model variants, built concern by concern.

Each concern lives in its own module under `ab_routing.resources` (network lookups, security groups,
target groups and their targets, TLS, the access-log bucket, the load balancer, override rules, DNS,
WAF, monitoring); `__init__` below reads top to bottom as that list. Every child is registered with
this component as parent, with logical names from `ab_routing.naming`, so moving code between
modules never changes a resource's identity (tests/golden guards that).
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from ab_routing.model import RoutingConfig
from ab_routing.resources import containers, demo
from ab_routing.resources.access_logs import create_access_log_bucket
from ab_routing.resources.dns import create_dns_records
from ab_routing.resources.listener_rules import create_override_rules
from ab_routing.resources.load_balancer import create_load_balancer
from ab_routing.resources.log_analytics import LogAnalytics, create_log_analytics_for
from ab_routing.resources.monitoring import create_monitoring
from ab_routing.resources.network import lookup_network, lookup_task_subnets
from ab_routing.resources.security import create_security_groups
from ab_routing.resources.target_groups import create_target_groups
from ab_routing.resources.tls import create_additional_certificates, create_certificate
from ab_routing.resources.waf import create_web_acl_association

COMPONENT_TYPE = "ab-routing:index:AbRouting"


class AbRouting(pulumi.ComponentResource):
    """An ALB that splits traffic across model variants by weight."""

    target_groups: dict[str, aws.lb.TargetGroup]
    security_group: aws.ec2.SecurityGroup
    target_security_group: aws.ec2.SecurityGroup
    alb: awsx.lb.ApplicationLoadBalancer
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    load_balancer_arn: pulumi.Output[str]
    load_balancer_arn_suffix: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    access_logs_bucket: pulumi.Output[str] | None
    alarm_topic_arn: pulumi.Output[str]
    dashboard_url: str
    alarm_names: Mapping[str, Mapping[str, pulumi.Output[str]]]
    log_analytics: LogAnalytics | None
    container_services: dict[str, containers.ContainerService]
    """Container variants' Fargate services by variant name (outputs `ecsCluster`, `ecsService`)."""

    def __init__(
        self,
        name: str,
        config: RoutingConfig,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        tags = dict(tags or {})
        variants = config.variants

        network = lookup_network(self, config.network)
        target_cidrs = config.network.target_cidrs if config.network else ()
        security = create_security_groups(self, config.listener, variants, network.vpc_id, target_cidrs, tags)
        self.security_group, self.target_security_group = security.alb, security.fleet
        groups = create_target_groups(self, variants, network.vpc_id, target_cidrs, tags)
        self.target_groups = dict(groups.by_variant)
        certificate_arn = create_certificate(self, config.listener, config.dns, tags)
        logs = create_access_log_bucket(self, config.access_logs, config.region, tags)
        self.access_logs_bucket = logs.bucket
        lb = create_load_balancer(
            self, config, groups.arns(), security.alb.id, network.vpc_id, network.subnet_ids, certificate_arn, logs, tags
        )
        self.alb, self.dns_name, self.zone_id = lb.alb, lb.dns_name, lb.zone_id
        self.load_balancer_arn, self.load_balancer_arn_suffix, self.listener_arn = lb.arn, lb.arn_suffix, lb.listener_arn
        create_additional_certificates(self, config.listener, lb.listener_arn)
        create_override_rules(self, variants, config.override, lb.listener_arn, groups.arns(), tags)
        create_dns_records(self, config.dns, config.load_balancer.ip_address_type, lb.dns_name, lb.zone_id)
        create_web_acl_association(self, config.load_balancer.web_acl_arn, lb.arn)

        # >>> serving (issue 13): demo functions and Fargate services, one call per concern ---------
        self.container_services = {}
        for v in variants:
            if v.demo is not None:
                demo.create_demo_variant(self, v.name, v.demo, groups.by_variant[v.name], tags, health_path=v.health_check.path)
        if any(v.container is not None for v in variants):
            cluster = containers.create_container_cluster(self, tags, vpc_id=network.vpc_id)
            task_subnets = (
                lookup_task_subnets(self, config.network) if config.network and config.network.task_subnet_ids else network.subnet_ids
            )
            for v in variants:
                if v.container is not None:
                    self.container_services[v.name] = containers.create_container_service(
                        self, v.name, v.container, cluster, groups.by_variant[v.name],
                        subnets=task_subnets, security_group_id=security.fleet.id,
                        load_balancer_arn_suffix=lb.arn_suffix, region=config.region, depends_on=[lb.alb], tags=tags,
                    )  # fmt: skip
        # <<< serving ------------------------------------------------------------------------------
        suffixes = {name: group.arn_suffix for name, group in groups.by_variant.items()}
        alarms = create_monitoring(self, variants, config.alarms, config.region, lb.arn_suffix, suffixes, tags)
        self.alarm_topic_arn, self.dashboard_url = alarms.alarm_topic_arn, alarms.dashboard_url
        self.alarm_names = alarms.alarm_names
        self.log_analytics = create_log_analytics_for(self, config, logs.bucket, lb.arn_suffix, tags)

        self.register_outputs(
            {
                "dnsName": self.dns_name,
                "loadBalancerArn": self.load_balancer_arn,
                "listenerArn": self.listener_arn,
            }
        )
