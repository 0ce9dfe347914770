"""Fargate's rules: valid CPU/memory pairs and container image reference syntax.

Pure and free of the Pulumi SDK, so config validation can use it without importing pulumi-aws.
Sources: the ECS API reference (task definition `cpu`, `memory` and `image`) and the image
reference grammar of distribution/reference (what Docker and ECR accept).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

FARGATE_MEMORY: Mapping[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
"""Task CPU units -> the memory sizes (MiB) Fargate accepts with it (Linux; 8 and 16 vCPU need
platform 1.4.0, which LATEST is)."""


def fargate_problem(cpu: int, memory: int) -> str | None:
    """Why Fargate would refuse this CPU/memory pair (None when it accepts it)."""
    sizes = FARGATE_MEMORY.get(cpu)
    if sizes is None:
        return f"cpu must be one of {', '.join(map(str, FARGATE_MEMORY))} (CPU units; 1024 = 1 vCPU)"
    if memory in sizes:
        return None
    step = sizes[-1] - sizes[-2]
    listed = ", ".join(map(str, sizes)) if len(sizes) <= 4 else f"{sizes[0]}-{sizes[-1]} in steps of {step}"
    return f"Fargate allows memory {listed} MiB with cpu {cpu}"


# -- image references -------------------------------------------------------------------------

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PATH = re.compile(rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_DOMAIN = re.compile(
    r"(?:(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*"
    r"|\[[0-9A-Fa-f:]+\])(?::[0-9]+)?"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_ECR_DOMAIN = re.compile(r"([0-9]{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-[0-9])\.amazonaws\.com(?:\.cn)?")
IMAGE_MAX = 255
"""ECS's documented limit on a container definition's `image`."""


def split_image(image: str) -> tuple[str | None, str, str | None, str | None]:
    """(domain, repository path, tag, digest) of a reference, without validating it.

    As Docker does, the first path element is a registry domain only when it contains `.` or `:`
    or is `localhost`; otherwise the image is on Docker Hub.
    """
    rest, _, digest = image.partition("@")
    domain: str | None = None
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        domain, rest = first, remainder
    path, colon, tag = rest.rpartition(":") if ":" in rest else (rest, "", "")
    return domain, path, (tag if colon else None), (digest or None)


def image_problem(image: str) -> str | None:
    """Why `image` is not a container image reference ECS can pull (None when it is)."""
    allowed = (
        "must be an image reference [registry/]repository[:tag][@digest] such as "
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-model:v3 or ghcr.io/org/model@sha256:<64 hex>"
    )
    if not image or len(image) > IMAGE_MAX or image != image.strip():
        return f"{allowed}; at most {IMAGE_MAX} characters, no spaces"
    domain, path, tag, digest = split_image(image)
    if domain is not None and not _DOMAIN.fullmatch(domain):
        return f"{allowed}; registry {domain!r} is not a host name with an optional port"
    if not _PATH.fullmatch(path):
        return f"{allowed}; repository {path!r} must be lowercase letters, digits and separators (. _ __ -) between '/'"
    if tag is not None and not _TAG.fullmatch(tag):
        return f"{allowed}; tag {tag!r} must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
    if digest is not None and not _DIGEST.fullmatch(digest):
        return f"{allowed}; digest {digest!r} must look like sha256:<64 hex digits>"
    return None


def partition_of(region: str) -> str:
    """The ARN partition of a region."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def ecr_repository_arn(image: str) -> str | None:
    """The ECR repository ARN of a private ECR image (None for any other registry)."""
    domain, path, _, _ = split_image(image)
    match = _ECR_DOMAIN.fullmatch(domain or "")
    if match is None:
        return None
    account, region = match.groups()
    return f"arn:{partition_of(region)}:ecr:{region}:{account}:repository/{path}"
