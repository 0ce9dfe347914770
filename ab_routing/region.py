"""The stack's AWS region, found the way the AWS provider finds it, in every command and under `pulumi up`.

The provider (pulumi-aws, on the AWS SDK's configuration chain) takes `aws:region` from the stack
config, then the `AWS_REGION` and `AWS_DEFAULT_REGION` environment variables, then the `region` of
the shared-config profile (`aws:profile`, else `AWS_PROFILE`/`AWS_DEFAULT_PROFILE`, else `default`,
in `AWS_CONFIG_FILE` or `~/.aws/config`). The program, the plan and the report must agree with it:
a plan that silently assumed us-east-1 showed a dashboard URL in us-east-1 for a stack that
`pulumi up` would put in eu-west-1. When nothing sets a region, the error names `aws:region`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class RegionError(Exception):
    """No region is set anywhere the AWS provider looks, or the named profile does not exist."""


@dataclass(frozen=True)
class Region:
    name: str
    source: str
    """Where it came from: `aws:region`, `AWS_REGION`, `AWS_DEFAULT_REGION` or `profile <name>`."""


HOW_TO_SET = (
    "set aws:region in the stack (`pulumi config set aws:region us-east-1`, or `aws:region: us-east-1` "
    "under `config:` in Pulumi.<stack>.yaml), or AWS_REGION, or a region in your AWS profile"
)


def resolve_region(config: Mapping[str, object], chosen: str | None = None, flag: str | None = None) -> Region:
    """The region for stack `config` (full keys, e.g. `aws:region`), else RegionError.

    `chosen` is a command's `--region` (named `flag` in messages): it stands in for the environment
    and the profile, where the stack's region may not be set the way it was at `pulumi up`; it must
    agree with `aws:region` when the stack sets one, since that is where the resources are."""
    configured = config.get("aws:region")
    if chosen:
        if configured and str(configured) != chosen:
            raise RegionError(
                f"{flag or '--region'} {chosen} but the stack sets aws:region {configured}, where its resources are: "
                f"drop {flag or '--region'} or change aws:region"
            )
        return Region(chosen, flag or "--region")
    if configured:
        return Region(str(configured), "aws:region")
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(variable):
            return Region(os.environ[variable], variable)
    profile_region = _profile_region(config.get("aws:profile"))
    if profile_region is not None:
        return profile_region
    raise RegionError(f"no AWS region: {f'pass {flag} or ' if flag else ''}{HOW_TO_SET}")


def _profile_region(configured_profile: object) -> Region | None:
    """The `region` of the shared-config profile, read by botocore (AWS_CONFIG_FILE, AWS_PROFILE)."""
    import botocore.session
    from botocore.exceptions import ProfileNotFound

    session = botocore.session.Session(profile=str(configured_profile) if configured_profile else None)
    try:
        scoped = session.get_scoped_config()
    except ProfileNotFound as problem:
        raise RegionError(f"AWS profile {problem.kwargs.get('profile')!r} not found in the shared config; {HOW_TO_SET}") from None
    region = scoped.get("region")
    if not region:
        return None
    return Region(str(region), f"profile {session.profile or 'default'}")
