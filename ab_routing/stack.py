"""The `AbRouting` component: registers the ALB, one target group per variant, the weighted forward,
the override rules and the ALB's security group, from an already validated `RoutingConfig`.

Every child's logical name comes from `ab_routing.naming`; every argument object comes from the
pure functions in `ab_routing.routing`. No resource is created inside an `apply`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from ab_routing import naming, routing
from ab_routing.model import RoutingConfig, Variant

COMPONENT_TYPE = "ab-routing:index:AbRouting"
DEFAULT_TARGET_GROUP_ROLE = "awsx-default-unused"
"""Tag value marking awsx's default target group, which no listener or rule forwards to."""


class AbRouting(pulumi.ComponentResource):
    """An ALB that splits traffic across model variants by weight."""

    target_groups: dict[str, aws.lb.TargetGroup]
    security_group: aws.ec2.SecurityGroup
    alb: awsx.lb.ApplicationLoadBalancer
    dns_name: pulumi.Output[str]
    load_balancer_arn: pulumi.Output[str]
    load_balancer_arn_suffix: pulumi.Output[str]
    listener_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        config: RoutingConfig,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self._config = config
        self._tags = dict(tags or {})
        self._child = pulumi.ResourceOptions(parent=self)

        vpc_id, subnet_ids, vpc_cidr = self._network()
        self.security_group = self._create_security_group(vpc_id, vpc_cidr)
        self.target_groups = {v.name: self._create_target_group(v, vpc_id) for v in config.variants}
        for variant in config.variants:
            self._create_attachments(variant)
        self.alb = self._create_load_balancer(subnet_ids)

        load_balancer = self.alb.load_balancer
        self.dns_name = load_balancer.apply(lambda lb: lb.dns_name)
        self.load_balancer_arn = load_balancer.apply(lambda lb: lb.arn)
        self.load_balancer_arn_suffix = load_balancer.apply(lambda lb: lb.arn_suffix)
        self.listener_arn = self.alb.listeners.apply(_first_listener_arn)
        if config.override.header is not None:
            for variant in config.variants:
                self._create_override_rule(variant)

        self.register_outputs(
            {
                "dnsName": self.dns_name,
                "loadBalancerArn": self.load_balancer_arn,
                "listenerArn": self.listener_arn,
            }
        )

    # -- network ------------------------------------------------------------------------------

    def _network(self) -> tuple[pulumi.Output[str], pulumi.Output[list[str]], pulumi.Output[str]]:
        """VPC id, subnet ids and the VPC's CIDR: from config, or the default VPC when omitted."""
        invoke = pulumi.InvokeOutputOptions(parent=self)
        network = self._config.network
        if network is not None:
            vpc = aws.ec2.get_vpc_output(id=network.vpc_id, opts=invoke)
            return pulumi.Output.from_input(network.vpc_id), pulumi.Output.from_input(list(network.subnet_ids)), vpc.cidr_block
        vpc = aws.ec2.get_vpc_output(default=True, opts=invoke)
        filters = vpc.id.apply(
            lambda vpc_id: [
                aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc_id]),
                aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
            ]
        )
        subnets = aws.ec2.get_subnets_output(filters=filters, opts=invoke)
        return vpc.id, subnets.ids, vpc.cidr_block

    # -- security group -----------------------------------------------------------------------

    def _create_security_group(self, vpc_id: pulumi.Input[str], vpc_cidr: pulumi.Input[str]) -> aws.ec2.SecurityGroup:
        """The ALB's own group, in place of awsx's default one (which is open on every port).

        Rules are standalone resources so other groups can reference this one without a cycle.
        pulumi-aws removes AWS's default allow-all egress rule from a group it creates.
        """
        listener = self._config.listener
        group = aws.ec2.SecurityGroup(
            naming.COMPONENT_NAME,
            vpc_id=vpc_id,
            description="ab-routing ALB: listener ports from allowed CIDRs; variant ports into the VPC",
            tags=self._tags,
            opts=self._child,
        )
        for cidr in listener.allowed_cidrs:
            v6 = ":" in cidr
            aws.vpc.SecurityGroupIngressRule(
                naming.ingress_rule_name(listener.port, cidr),
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=listener.port,
                to_port=listener.port,
                cidr_ipv4=None if v6 else cidr,
                cidr_ipv6=cidr if v6 else None,
                description=f"clients to listener port {listener.port}",
                opts=self._child,
            )
        for port in routing.variant_ports(self._config.variants):
            aws.vpc.SecurityGroupEgressRule(
                naming.egress_rule_name(port),
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                cidr_ipv4=vpc_cidr,
                description=f"ALB to model targets on port {port} inside the VPC",
                opts=self._child,
            )
        return group

    # -- variants -----------------------------------------------------------------------------

    def _create_target_group(self, variant: Variant, vpc_id: pulumi.Input[str]) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
            naming.target_group_name(variant.name),
            routing.target_group_args(variant, vpc_id, self._tags),
            opts=self._child,
        )

    def _create_attachments(self, variant: Variant) -> None:
        """Register the variant's configured targets. awsx's attachment handles instances and Lambda
        functions (it adds the invoke permission for elasticloadbalancing.amazonaws.com); awsx has
        none for IP targets, so those use pulumi-aws directly.
        """
        group = self.target_groups[variant.name]
        for target in variant.targets:
            name = naming.attachment_name(variant.name, target)
            if variant.target_type == "instance":
                awsx.lb.TargetGroupAttachment(name, target_group=group, instance_id=target, opts=self._child)
            elif variant.target_type == "lambda":
                awsx.lb.TargetGroupAttachment(name, target_group=group, lambda_arn=target, opts=self._child)
            else:
                aws.lb.TargetGroupAttachment(
                    name, target_group_arn=group.arn, target_id=target, port=variant.port, opts=self._child
                )

    def _create_override_rule(self, variant: Variant) -> aws.lb.ListenerRule:
        return aws.lb.ListenerRule(
            naming.override_rule_name(variant.name),
            listener_arn=self.listener_arn,
            priority=variant.rule_priority,
            conditions=routing.override_conditions(variant, self._config.override),
            actions=[routing.override_action(self.target_groups[variant.name].arn)],
            tags={**self._tags, "ab-routing:variant": variant.name},
            opts=self._child,
        )

    # -- load balancer ------------------------------------------------------------------------

    def _create_load_balancer(self, subnet_ids: pulumi.Input[list[str]]) -> awsx.lb.ApplicationLoadBalancer:
        """The awsx ALB with one listener whose default action is the weighted forward.

        awsx always creates a default target group. We give it explicit settings (awsx leaves port
        and protocol unset when exactly one listener is passed, which AWS rejects for an `ip` group)
        and a tag that says what it is: no listener or rule forwards to it.
        """
        listener = self._config.listener
        arns = {name: group.arn for name, group in self.target_groups.items()}
        return awsx.lb.ApplicationLoadBalancer(
            naming.COMPONENT_NAME,
            subnet_ids=subnet_ids,
            security_groups=[self.security_group.id],
            default_target_group=awsx.lb.TargetGroupArgs(
                port=listener.port,
                protocol="HTTP",
                target_type="ip",
                tags={**self._tags, "ab-routing:role": DEFAULT_TARGET_GROUP_ROLE},
            ),
            listeners=[
                awsx.lb.ListenerArgs(
                    port=listener.port,
                    protocol=listener.protocol,
                    default_actions=[routing.forward_action(self._config.variants, arns, self._config.stickiness)],
                    tags=self._tags,
                )
            ],
            tags=self._tags,
            opts=self._child,
        )


def _first_listener_arn(listeners: Sequence[aws.lb.Listener] | None) -> pulumi.Output[str]:
    """The weighted-forward listener is the first one passed to awsx (awsx names it `<name>-0`)."""
    if not listeners:
        raise ValueError("awsx ApplicationLoadBalancer returned no listeners")
    return listeners[0].arn
