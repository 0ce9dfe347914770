"""Physical names (or name prefixes) the serving resources set themselves: readable, per stack, and
within AWS's patterns and lengths. Everything else is auto-named by Pulumi."""

from __future__ import annotations

import re


def log_group_prefix(project: str, stack: str, variant: str, kind: str) -> str:
    """`/<project>/<stack>/<variant>/<kind>-`: a readable, per-stack log group name prefix (the provider
    adds a unique suffix). Log group names allow letters, digits and `._/#-`, at most 512 characters."""
    return re.sub(r"[^A-Za-z0-9._/#-]+", "-", f"/{project}/{stack}/{variant}/{kind}-")[:480]


def task_family(project: str, stack: str, variant: str) -> str:
    """Task definition family: 1-255 letters, digits, `_` and `-`, unique per account and region,
    so two stacks of the project in one account never share revisions."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"{project}-{stack}-{variant}")[:255]


SCALABLE_DIMENSION = "ecs:service:DesiredCount"
"""What Application Auto Scaling scales on an ECS service (the stack's target, `rollout`'s floor)."""


def scalable_resource_id(cluster: str, service: str) -> str:
    """Application Auto Scaling's id of an ECS service: `service/<cluster>/<service>`."""
    return f"service/{cluster}/{service}"
