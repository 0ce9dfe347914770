"""Logical names and rule priorities, all derived from variant names and never from positions.

Keeping these in one place is what makes adding, removing or reordering a variant touch only that
variant's resources: no name or priority here depends on another variant or on list order.
"""

from __future__ import annotations

import hashlib
import re

COMPONENT_NAME = "ab-routing"
"""Logical name of the component, the ALB and everything shared by all variants."""

ALB_METRICS_NAMESPACE = "AWS/ApplicationELB"
"""CloudWatch namespace of ALB metrics, read by the dashboard, the alarms and the report."""

PRIORITY_MIN = 1
PRIORITY_MAX = 50000


def derived_rule_priority(variant: str) -> int:
    """A stable listener-rule priority for `variant`'s override rule, in 1..50000.

    SHA-256 of the name, so it does not change when other variants come or go. Two names can
    collide (about 1 in 5000 for five variants); config validation reports that and asks for an
    explicit `rulePriority`.
    """
    digest = hashlib.sha256(variant.encode()).digest()
    return PRIORITY_MIN + int.from_bytes(digest[:8], "big") % PRIORITY_MAX


def target_group_name(variant: str) -> str:
    """Logical name of a variant's target group. AWS's name is this plus a random suffix."""
    return variant


def override_rule_name(variant: str) -> str:
    """Logical name of a variant's override listener rule."""
    return f"{variant}-override"


def attachment_name(variant: str, target: str) -> str:
    """Logical name of one target's registration; a Lambda ARN is reduced to its function name."""
    if target.startswith("arn:"):
        target = target.split(":function:", 1)[-1]
    return f"{variant}-{slug(target)}"


def ingress_rule_name(port: int, cidr: str) -> str:
    """`ab-routing-in-443-0-0-0-0-0` for 0.0.0.0/0; `ab-routing-in-443-v6-xx-0` for ::/0."""
    if ":" in cidr:
        return f"{COMPONENT_NAME}-in-{port}-v6-{slug(cidr.replace(':', 'x'))}"
    return f"{COMPONENT_NAME}-in-{port}-{slug(cidr)}"


def egress_rule_name(port: int) -> str:
    return f"{COMPONENT_NAME}-out-{port}"


def egress_cidr_rule_name(port: int, cidr: str) -> str:
    """`ab-routing-out-8080-172-16-0-0-16` for 172.16.0.0/16 (IP targets outside the VPC)."""
    return ingress_rule_name(port, cidr).replace(f"{COMPONENT_NAME}-in-", f"{COMPONENT_NAME}-out-", 1)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-")
