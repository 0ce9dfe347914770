"""The tags every taggable resource of a stack carries, from one place.

Tags are passed explicitly to each resource (and into awsx's load balancer, listener and default
target group arguments) rather than added by a stack transform: the mocks record transforms without
running them, so only explicit tags show in the offline plan and its tests. A test derives the
taggable resource types from the pulumi-aws/awsx argument classes and checks every one of them.
"""

from __future__ import annotations

from collections.abc import Mapping

STACK = "ab-routing:stack"
"""The Pulumi stack name: tells dev from prod resources in a shared account."""
PROJECT = "ab-routing:project"
"""The Pulumi project name: tells two ab-routing projects in one account apart."""
VARIANT = "ab-routing:variant"
"""On resources that belong to one variant (target group, override rule, alarms)."""
ROLE = "ab-routing:role"
"""What a resource is for when its type does not say (e.g. awsx's unused default target group)."""


def base_tags(project: str, stack: str) -> dict[str, str]:
    """The tags every taggable resource of the stack carries."""
    return {PROJECT: project, STACK: stack}


def variant_tags(base: Mapping[str, str], variant: str) -> dict[str, str]:
    """Base tags plus the variant a resource belongs to."""
    return {**base, VARIANT: variant}


def role_tags(base: Mapping[str, str], role: str) -> dict[str, str]:
    """Base tags plus what the resource is for."""
    return {**base, ROLE: role}
