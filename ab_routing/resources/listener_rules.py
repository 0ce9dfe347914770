"""Override rules: a request carrying the override header with a variant's name goes to that variant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from ab_routing import naming, routing
from ab_routing.model import Override, Variant
from ab_routing.tags import variant_tags


def create_override_rules(
    parent: pulumi.Resource,
    variants: Sequence[Variant],
    override: Override,
    listener_arn: pulumi.Input[str],
    target_group_arns: Mapping[str, pulumi.Input[str]],
    tags: Mapping[str, str],
) -> dict[str, aws.lb.ListenerRule]:
    """One rule per variant at its own priority; none while the header is turned off."""
    if override.header is None:
        return {}
    return {
        v.name: aws.lb.ListenerRule(
            naming.override_rule_name(v.name),
            listener_arn=listener_arn,
            priority=v.rule_priority,
            conditions=routing.override_conditions(v, override),
            actions=[routing.override_action(target_group_arns[v.name])],
            tags=variant_tags(tags, v.name),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for v in variants
    }
