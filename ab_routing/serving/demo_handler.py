"""The demo model: an AWS Lambda handler behind an ALB target group (standard library only).

This file is shipped as is, as `handler.py`, in the demo function's code archive; it must not
import anything outside the standard library. Settings come from environment variables set by the
stack (`DEMO_VARIANT`, `DEMO_ERROR_RATE`, `DEMO_LATENCY_MS`, `DEMO_HEALTH_PATH`).

Behaviour, so a team can rehearse verify / report / rollout / rollback without a real model:
- the health-check path always answers 200 at once (no sleep, no injected error);
- any other request sleeps `latency_ms` x a uniform factor in [0.5, 1.5], then answers 500 with
  probability `error_rate`, else 200 with JSON `{"variant", "prediction"}`;
- every response carries `X-Model-Variant: <variant>` (what `verify` reads);
- the prediction is a score in [0, 1) derived from the variant and the request body, so the same
  input gets the same answer from the same variant, as from a real model.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

VARIANT_HEADER = "X-Model-Variant"
SLEEP_SPREAD = (0.5, 1.5)


def prediction(variant: str, body: str) -> float:
    """A stable pseudo-score for (variant, input)."""
    digest = hashlib.sha256(f"{variant}\n{body}".encode()).digest()
    return round(int.from_bytes(digest[:4], "big") / 2**32, 4)


def _response(status: int, reason: str, variant: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "statusDescription": f"{status} {reason}",
        "isBase64Encoded": False,
        "headers": {"Content-Type": "application/json", VARIANT_HEADER: variant, "Cache-Control": "no-store"},
        "body": json.dumps(payload, sort_keys=True),
    }


def respond(
    event: Mapping[str, Any],
    *,
    variant: str,
    error_rate: float,
    latency_ms: float,
    health_path: str,
    rng: random.Random,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """The ALB response to one ALB Lambda event. `rng` and `sleep` are injected for tests."""
    if event.get("path") == health_path:
        return _response(200, "OK", variant, {"variant": variant, "status": "healthy"})
    low, high = SLEEP_SPREAD
    sleep(max(0.0, latency_ms * rng.uniform(low, high) / 1000.0))
    if rng.random() < error_rate:
        return _response(500, "Internal Server Error", variant, {"variant": variant, "error": f"injected failure (errorRate {error_rate})"})
    return _response(200, "OK", variant, {"variant": variant, "prediction": prediction(variant, str(event.get("body") or ""))})


_RNG = random.Random()


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point (`handler.handler`)."""
    return respond(
        event,
        variant=os.environ.get("DEMO_VARIANT", "demo"),
        error_rate=float(os.environ.get("DEMO_ERROR_RATE", "0")),
        latency_ms=float(os.environ.get("DEMO_LATENCY_MS", "0")),
        health_path=os.environ.get("DEMO_HEALTH_PATH", "/ping"),
        rng=_RNG,
    )
