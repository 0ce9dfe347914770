"""Pure argument builders of a demo variant's Lambda function, and its code archive.

The archive holds one file, `handler.py`, whose bytes are the repository's
`ab_routing/serving/demo_handler.py` (read as text, so line endings never differ): no absolute
path and no timestamp reaches the plan, so it is byte-identical on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pulumi
import pulumi_aws as aws

from ab_routing import tags as tagging
from ab_routing.serving import demo_handler
from ab_routing.serving.settings import DemoSettings

RUNTIME = "python3.13"
ARCHITECTURE = "arm64"
"""Graviton: cheaper per GB-second, and the handler is pure Python."""
HANDLER = "handler.handler"
ARCHIVE_FILE = "handler.py"


def handler_text() -> str:
    """The handler's source as shipped."""
    return Path(demo_handler.__file__).read_text(encoding="utf-8")


def code_archive() -> pulumi.AssetArchive:
    return pulumi.AssetArchive({ARCHIVE_FILE: pulumi.StringAsset(handler_text())})


def environment(variant: str, settings: DemoSettings, health_path: str) -> dict[str, str]:
    """What the handler reads (see `demo_handler`)."""
    return {
        "DEMO_VARIANT": variant,
        "DEMO_ERROR_RATE": repr(settings.error_rate),
        "DEMO_LATENCY_MS": str(settings.latency_ms),
        "DEMO_HEALTH_PATH": health_path,
    }


def function_args(
    variant: str,
    settings: DemoSettings,
    health_path: str,
    role_arn: pulumi.Input[str],
    log_group_name: pulumi.Input[str],
    tags: Mapping[str, str],
) -> aws.lambda_.FunctionArgs:
    """The demo function: no reserved concurrency unless opted in (reserving fails on new accounts
    whose unreserved pool would drop below AWS's minimum); logs go to the variant's own group."""
    return aws.lambda_.FunctionArgs(
        runtime=RUNTIME,
        architectures=[ARCHITECTURE],
        handler=HANDLER,
        code=code_archive(),
        role=role_arn,
        timeout=settings.timeout,
        memory_size=settings.memory,
        reserved_concurrent_executions=settings.reserved_concurrency,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=environment(variant, settings, health_path)),
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="Text", log_group=log_group_name),
        description=f"ab-routing demo model for variant {variant}",
        tags=tagging.variant_tags(tags, variant),
    )
