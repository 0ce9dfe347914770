"""Certificates of the HTTPS listener: the configured one or an ACM certificate validated in DNS,
plus the extra SNI certificates."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from ab_routing import naming
from ab_routing.model import Dns, ListenerSettings


def create_certificate(
    parent: pulumi.Resource, listener: ListenerSettings, dns: Dns | None, tags: Mapping[str, str]
) -> pulumi.Input[str] | None:
    """The HTTPS listener's certificate ARN (None without HTTPS): the configured ARN, or one ACM
    issues for `dns.recordName` and validates through a record in `dns.zoneId`; the ARN comes from
    the validation, so the listener waits for it."""
    if not listener.https:
        return None
    if listener.certificate_arn:
        return listener.certificate_arn
    assert dns is not None, "config validation requires dns when HTTPS has no certificateArn"
    child = pulumi.ResourceOptions(parent=parent)
    certificate = aws.acm.Certificate(
        naming.COMPONENT_NAME, domain_name=dns.record_name, validation_method="DNS", tags=dict(tags), opts=child
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
        opts=child,
    )
    validation = aws.acm.CertificateValidation(
        naming.COMPONENT_NAME, certificate_arn=certificate.arn, validation_record_fqdns=[record.fqdn], opts=child
    )
    return validation.certificate_arn


def create_additional_certificates(parent: pulumi.Resource, listener: ListenerSettings, listener_arn: pulumi.Input[str]) -> None:
    """The extra certificates the HTTPS listener serves by SNI (a ListenerCertificate has no tags)."""
    for arn in listener.additional_certificate_arns:
        aws.lb.ListenerCertificate(
            f"{naming.COMPONENT_NAME}-certificate-{naming.slug(arn.rsplit('/', 1)[-1])}",
            listener_arn=listener_arn,
            certificate_arn=arn,
            opts=pulumi.ResourceOptions(parent=parent),
        )
