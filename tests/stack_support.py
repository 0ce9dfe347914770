"""One wide config that exercises every concern of the component, run once per test session."""

from __future__ import annotations

from functools import cache
from typing import Any

from ab_routing.offline import OfflineRun
from tests.support import LAMBDA_ARN, base_raw, run

WEB_ACL = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/models/7c1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"
OUTSIDE_IP = "100.64.3.3"
"""An IP target outside the placeholder VPC CIDR (10.0.0.0/8): a peered VPC or on premises."""
OUTSIDE_NETWORK = "100.64.0.0/16"
"""The declared `network.targetCidrs` block holding OUTSIDE_IP."""


def wide_raw() -> dict[str, Any]:
    """Instance, IP (inside and outside the VPC, its network declared, health checks on another
    port) and Lambda variants; HTTPS with an ACM certificate
    validated in DNS; access logs in a created bucket; WAF; an alarm email."""
    raw = base_raw()
    raw["variants"]["challenger"] = {"weight": 10, "port": 9000, "targetType": "ip", "targets": ["10.0.1.15", OUTSIDE_IP]}
    raw["variants"]["challenger"]["healthCheck"] = {"port": 9100}
    raw["network"]["targetCidrs"] = [OUTSIDE_NETWORK]
    raw["variants"]["shadow"] = {"weight": 0, "targetType": "lambda", "targets": [LAMBDA_ARN]}
    raw["listener"] = {"protocol": "HTTPS", "allowedCidrs": ["0.0.0.0/0", "::/0"]}
    raw["dns"] = {"zoneId": "Z0123456789ABCDEFGHIJ", "recordName": "models.example.com"}
    raw["accessLogs"] = {"enabled": True}
    raw["loadBalancer"] = {"webAclArn": WEB_ACL, "ipAddressType": "dualstack"}
    raw["alarms"] = {"emails": ["oncall@example.com"]}
    return raw


@cache
def wide_run() -> OfflineRun:
    """The wide config under mocks (about 1.5 s), shared by the tests that only read it."""
    return run(wide_raw())
