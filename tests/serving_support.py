"""Shared config for the serving tests: every kind of variant in one stack."""

from __future__ import annotations

from typing import Any

from tests.support import INSTANCE_C, base_raw

ECR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-model:v3"
TASK_SUBNETS = ["subnet-0ccc3333", "subnet-0ddd4444"]
LONG_NAME = "champion-container-x"
"""20 characters, the longest variant name allowed: auto-named AWS names must still fit."""


def mixed_raw() -> dict[str, Any]:
    """A container variant (longest name), a demo with every knob, a plain `demo: true`, and a
    bring-your-own variant, in a network with task subnets."""
    raw = base_raw()
    raw["network"]["taskSubnetIds"] = list(TASK_SUBNETS)
    raw["variants"] = {
        LONG_NAME: {
            "weight": 70,
            "control": True,
            "healthCheck": {"path": "/health"},
            "container": {
                "image": ECR_IMAGE,
                "port": 9000,
                "cpu": 1024,
                "memory": 3072,
                "desiredCount": 3,
                "minCount": 2,
                "maxCount": 6,
                "targetRequestsPerTarget": 250,
                "environment": {"MODEL_NAME": "fraud", "LOG_LEVEL": "info"},
                "healthCheckGracePeriod": 120,
            },
        },
        "challenger": {"weight": 10, "demo": {"errorRate": 0.05, "latencyMs": 120, "reservedConcurrency": 5, "timeout": 5}},
        "canary": {"weight": 10, "demo": True},
        "legacy": {"weight": 10, "port": 8080, "targets": [INSTANCE_C]},
    }
    return raw
