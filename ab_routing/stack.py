"""The `AbRouting` component: registers the ALB, one target group per variant, the weighted forward,
the override rules, the security groups and the production extras (TLS, access logs, DNS, WAF),
from an already validated `RoutingConfig`.

Every child's logical name comes from `ab_routing.naming`; every argument object comes from the
pure functions in `ab_routing.routing` and `ab_routing.access_logs`. No resource is created inside
an `apply`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from ab_routing import access_logs, monitoring, naming, routing
from ab_routing.model import RoutingConfig, Variant

COMPONENT_TYPE = "ab-routing:index:AbRouting"
DEFAULT_TARGET_GROUP_ROLE = "awsx-default-unused"
"""Tag value marking awsx's default target group, which no listener or rule forwards to."""
TARGETS_GROUP = f"{naming.COMPONENT_NAME}-targets"


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

        vpc_id, subnet_ids = self._network()
        self.security_group, self.target_security_group = self._create_security_groups(vpc_id)
        self.target_groups = {v.name: self._create_target_group(v, vpc_id) for v in config.variants}
        vpc_cidrs = self._vpc_cidrs(vpc_id) if any(v.target_type == "ip" and v.targets for v in config.variants) else None
        for variant in config.variants:
            self._create_attachments(variant, vpc_cidrs)
        log_bucket, log_dependencies = self._access_log_bucket()
        self.access_logs_bucket = log_bucket
        self.alb = self._create_load_balancer(subnet_ids, self._certificate_arn(), log_bucket, log_dependencies)

        load_balancer = self.alb.load_balancer
        self.dns_name = load_balancer.apply(lambda lb: lb.dns_name)
        self.zone_id = load_balancer.apply(lambda lb: lb.zone_id)
        self.load_balancer_arn = load_balancer.apply(lambda lb: lb.arn)
        self.load_balancer_arn_suffix = load_balancer.apply(lambda lb: lb.arn_suffix)
        index = routing.forward_listener_index(config.listener)
        self.listener_arn = self.alb.listeners.apply(lambda listeners: _listener_arn(listeners, index))

        self._create_additional_certificates()
        if config.override.header is not None:
            for variant in config.variants:
                self._create_override_rule(variant)
        self._create_dns_records()
        self._create_web_acl_association()
        self.alarm_topic_arn, self.dashboard_url = self._create_monitoring()

        self.register_outputs(
            {
                "dnsName": self.dns_name,
                "loadBalancerArn": self.load_balancer_arn,
                "listenerArn": self.listener_arn,
            }
        )

    # -- network ------------------------------------------------------------------------------

    def _network(self) -> tuple[pulumi.Input[str], pulumi.Input[Sequence[str]]]:
        """VPC id and subnet ids: from config, or the default VPC's default subnets when omitted."""
        network = self._config.network
        if network is not None:
            return network.vpc_id, list(network.subnet_ids)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        vpc = aws.ec2.get_vpc_output(default=True, opts=invoke)
        filters = vpc.id.apply(
            lambda vpc_id: [
                aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc_id]),
                aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
            ]
        )
        return vpc.id, aws.ec2.get_subnets_output(filters=filters, opts=invoke).ids

    def _vpc_cidrs(self, vpc_id: pulumi.Input[str]) -> pulumi.Output[list[str]]:
        """The VPC's IPv4 CIDR blocks (primary and secondary), to place IP targets inside or outside it."""
        vpc = aws.ec2.get_vpc_output(id=vpc_id, opts=pulumi.InvokeOutputOptions(parent=self))
        return pulumi.Output.all(vpc.cidr_block, vpc.cidr_block_associations).apply(
            lambda values: [values[0], *(_cidr_of(a) for a in values[1] or [])]
        )

    # -- security groups ----------------------------------------------------------------------

    def _create_security_groups(self, vpc_id: pulumi.Input[str]) -> tuple[aws.ec2.SecurityGroup, aws.ec2.SecurityGroup]:
        """The ALB's group (in place of awsx's default, which is open on every port) and the group
        for the model fleets, which admits only the ALB on the variants' ports.

        Rules are standalone resources, so the two groups reference each other without a cycle.
        pulumi-aws removes AWS's default allow-all egress rule from a group it creates.
        """
        listener = self._config.listener
        alb_group = aws.ec2.SecurityGroup(
            naming.COMPONENT_NAME,
            vpc_id=vpc_id,
            description="ab-routing ALB: listener ports from allowed CIDRs; out only to the model fleet group",
            tags=self._tags,
            opts=self._child,
        )
        fleet_group = aws.ec2.SecurityGroup(
            TARGETS_GROUP,
            vpc_id=vpc_id,
            description="ab-routing model fleet: admits only the ALB, on the variant ports",
            tags=self._tags,
            opts=self._child,
        )
        ingress, egress = aws.vpc.SecurityGroupIngressRule, aws.vpc.SecurityGroupEgressRule
        for port in routing.listener_ports(listener):
            for cidr in listener.allowed_cidrs:
                name = naming.ingress_rule_name(port, cidr)
                self._tcp_rule(ingress, name, alb_group, port, f"clients to listener port {port}", cidr=cidr)
        for port in routing.variant_ports(self._config.variants):
            name = naming.egress_rule_name(port)
            self._tcp_rule(egress, name, alb_group, port, f"ALB to model targets on port {port}", peer_group=fleet_group)
            name = f"{TARGETS_GROUP}-in-{port}"
            self._tcp_rule(ingress, name, fleet_group, port, f"from the ab-routing ALB on port {port}", peer_group=alb_group)
        return alb_group, fleet_group

    def _tcp_rule(
        self,
        rule_type: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
        name: str,
        group: aws.ec2.SecurityGroup,
        port: int,
        description: str,
        cidr: str | None = None,
        peer_group: aws.ec2.SecurityGroup | None = None,
    ) -> None:
        """One standalone rule for one TCP port, to or from a CIDR block or another group."""
        v6 = cidr is not None and ":" in cidr
        rule_type(
            name,
            security_group_id=group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_ipv4=None if v6 else cidr,
            cidr_ipv6=cidr if v6 else None,
            referenced_security_group_id=peer_group.id if peer_group else None,
            description=description,
            opts=self._child,
        )

    # -- variants -----------------------------------------------------------------------------

    def _create_target_group(self, variant: Variant, vpc_id: pulumi.Input[str]) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
            naming.target_group_name(variant.name),
            routing.target_group_args(variant, vpc_id, self._tags),
            opts=self._child,
        )

    def _create_attachments(self, variant: Variant, vpc_cidrs: pulumi.Output[list[str]] | None) -> None:
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
                assert vpc_cidrs is not None
                zone = vpc_cidrs.apply(lambda cidrs, ip=target: routing.ip_target_availability_zone(ip, cidrs))
                aws.lb.TargetGroupAttachment(
                    name, target_group_arn=group.arn, target_id=target, port=variant.port, availability_zone=zone, opts=self._child
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

    # -- TLS ----------------------------------------------------------------------------------

    def _certificate_arn(self) -> pulumi.Input[str] | None:
        """The HTTPS listener's certificate: the configured ARN, or one ACM issues for `dns.recordName`
        and validates through a record in `dns.zoneId` (the listener waits for the validation)."""
        listener, dns = self._config.listener, self._config.dns
        if not listener.https:
            return None
        if listener.certificate_arn:
            return listener.certificate_arn
        assert dns is not None, "config validation requires dns when HTTPS has no certificateArn"
        certificate = aws.acm.Certificate(
            naming.COMPONENT_NAME,
            domain_name=dns.record_name,
            validation_method="DNS",
            tags=self._tags,
            opts=self._child,
        )
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        record = aws.route53.Record(
            f"{naming.COMPONENT_NAME}-certificate-validation",
            zone_id=dns.zone_id,
            name=option.apply(lambda o: o.resource_record_name or ""),
            type=option.apply(lambda o: o.resource_record_type or "CNAME"),
            records=[option.apply(lambda o: o.resource_record_value or "")],
            ttl=60,
            allow_overwrite=True,
            opts=self._child,
        )
        validation = aws.acm.CertificateValidation(
            naming.COMPONENT_NAME,
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=self._child,
        )
        return validation.certificate_arn

    def _create_additional_certificates(self) -> None:
        for arn in self._config.listener.additional_certificate_arns:
            aws.lb.ListenerCertificate(
                f"{naming.COMPONENT_NAME}-certificate-{naming.slug(arn.rsplit('/', 1)[-1])}",
                listener_arn=self.listener_arn,
                certificate_arn=arn,
                opts=self._child,
            )

    # -- access logs --------------------------------------------------------------------------

    def _access_log_bucket(self) -> tuple[pulumi.Output[str] | None, list[pulumi.Resource]]:
        """The bucket name the ALB logs to (None when logs are off) and what must exist first.

        With `accessLogs.bucket` the user's bucket is used as is; otherwise one is created for ALB
        logs: SSE-S3 (ALB cannot write to KMS-encrypted buckets), no public access, owner-enforced
        objects, expiry after `retentionDays`, and a policy that denies non-TLS access and lets ELB
        deliver. The ALB depends on the policy because AWS checks write access when logs are enabled.
        """
        logs = self._config.access_logs
        if not logs.enabled:
            return None, []
        if logs.bucket:
            return pulumi.Output.from_input(logs.bucket), []
        name = f"{naming.COMPONENT_NAME}-logs"
        bucket = aws.s3.Bucket(name, force_destroy=False, tags=self._tags, opts=self._child)
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=self._child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            name,
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=self._child,
        )
        aws.s3.BucketLifecycleConfiguration(
            name,
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-alb-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=f"{logs.prefix}/" if logs.prefix else ""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=logs.retention_days),
                )
            ],
            opts=self._child,
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        region = self._config.region
        policy = aws.s3.BucketPolicy(
            name,
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, account).apply(
                lambda values: json.dumps(access_logs.bucket_policy(values[0], logs.prefix, values[1], region))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        return bucket.bucket, [policy, encryption, ownership]

    # -- load balancer ------------------------------------------------------------------------

    def _create_load_balancer(
        self,
        subnet_ids: pulumi.Input[Sequence[str]],
        certificate_arn: pulumi.Input[str] | None,
        log_bucket: pulumi.Output[str] | None,
        depends_on: list[pulumi.Resource],
    ) -> awsx.lb.ApplicationLoadBalancer:
        """The awsx ALB; its listeners carry the weighted forward (and the HTTPS redirect).

        awsx always creates a default target group. We give it explicit settings (awsx leaves port
        and protocol unset when exactly one listener is passed, which AWS rejects for an `ip` group)
        and a tag that says what it is: no listener or rule forwards to it.
        """
        config = self._config
        lb = config.load_balancer
        arns = {name: group.arn for name, group in self.target_groups.items()}
        forward = routing.forward_action(config.variants, arns, config.stickiness)
        logs = (
            aws.lb.LoadBalancerAccessLogsArgs(bucket=log_bucket, prefix=config.access_logs.prefix or None, enabled=True)
            if log_bucket is not None
            else None
        )
        return awsx.lb.ApplicationLoadBalancer(
            naming.COMPONENT_NAME,
            subnet_ids=subnet_ids,
            security_groups=[self.security_group.id],
            internal=lb.internal,
            enable_deletion_protection=lb.deletion_protection,
            idle_timeout=lb.idle_timeout,
            drop_invalid_header_fields=lb.drop_invalid_header_fields,
            enable_http2=lb.http2,
            desync_mitigation_mode=lb.desync_mitigation_mode,
            ip_address_type=lb.ip_address_type,
            client_keep_alive=lb.client_keep_alive,
            access_logs=logs,
            default_target_group=awsx.lb.TargetGroupArgs(
                port=routing.HTTP_PORT,
                protocol="HTTP",
                target_type="ip",
                tags={**self._tags, "ab-routing:role": DEFAULT_TARGET_GROUP_ROLE},
            ),
            listeners=routing.listener_args(config.listener, forward, certificate_arn, self._tags),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    # -- DNS and WAF --------------------------------------------------------------------------

    def _create_dns_records(self) -> None:
        dns = self._config.dns
        if dns is None:
            return
        alias = aws.route53.RecordAliasArgs(name=self.dns_name, zone_id=self.zone_id, evaluate_target_health=True)
        record_types = ["A", "AAAA"] if self._config.load_balancer.ip_address_type.startswith("dualstack") else ["A"]
        for record_type in record_types:
            aws.route53.Record(
                f"{naming.COMPONENT_NAME}-{record_type.lower()}",
                zone_id=dns.zone_id,
                name=dns.record_name,
                type=record_type,
                aliases=[alias],
                opts=self._child,
            )

    def _create_web_acl_association(self) -> None:
        web_acl = self._config.load_balancer.web_acl_arn
        if web_acl:
            aws.wafv2.WebAclAssociation(
                naming.COMPONENT_NAME, resource_arn=self.load_balancer_arn, web_acl_arn=web_acl, opts=self._child
            )


    # -- monitoring -------------------------------------------------------------------------

    def _create_monitoring(self) -> tuple[pulumi.Output[str], str]:
        """The alarm topic (with email subscriptions), three alarms per variant, and the dashboard.
        Returns the topic ARN and the dashboard's console URL."""
        settings = self._config.alarms
        topic = aws.sns.Topic(f"{naming.COMPONENT_NAME}-alarms", tags=self._tags, opts=self._child)
        for email in settings.emails:
            aws.sns.TopicSubscription(
                f"{naming.COMPONENT_NAME}-alarms-{naming.slug(email.replace('@', '-at-'))}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=self._child,
            )
        for variant in self._config.variants:
            target_group = self.target_groups[variant.name].arn_suffix
            for suffix, build in monitoring.alarm_builders(variant):
                aws.cloudwatch.MetricAlarm(
                    f"{variant.name}-{suffix}",
                    build(variant, self.load_balancer_arn_suffix, target_group, topic.arn, settings),
                    opts=self._child,
                )
        name = monitoring.dashboard_name(pulumi.get_project(), pulumi.get_stack())
        region = self._config.region
        names = [v.name for v in self._config.variants]
        suffixes = [self.target_groups[n].arn_suffix for n in names]
        body = pulumi.Output.all(self.load_balancer_arn_suffix, *suffixes).apply(
            lambda values: json.dumps(
                monitoring.dashboard_body(region, values[0], dict(zip(names, values[1:], strict=True)), settings.period),
                sort_keys=True,
            )
        )
        aws.cloudwatch.Dashboard(naming.COMPONENT_NAME, dashboard_name=name, dashboard_body=body, opts=self._child)
        return topic.arn, monitoring.dashboard_url(region, name)


def _cidr_of(association: object) -> str:
    """A VPC CIDR association, which the output form of get_vpc hands over as a typed result or as a
    plain dict depending on how it was lifted."""
    if isinstance(association, dict):
        return str(association.get("cidr_block") or association.get("cidrBlock") or "")
    return str(getattr(association, "cidr_block", "") or "")


def _listener_arn(listeners: Sequence[aws.lb.Listener] | None, index: int) -> pulumi.Output[str]:
    """The weighted-forward listener's ARN (see `routing.forward_listener_index`)."""
    if not listeners or len(listeners) <= index:
        raise ValueError(f"awsx ApplicationLoadBalancer returned {len(listeners or [])} listener(s); expected more than {index}")
    return listeners[index].arn
