"""Shared helpers: a valid base config and a way to run the program under mocks."""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from ab_routing.mocks import Registration
from ab_routing.offline import OfflineRun, run_offline

INSTANCE_A = "i-0123456789abcdef0"
INSTANCE_B = "i-0fedcba9876543210"
INSTANCE_C = "i-0aaaaaaaaaaaaaaa1"
ACCOUNT = "111122223333"
CERT = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0f4e8a52-3c1b-4d6e-9a7f-2b5c8d1e6f90"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:fraud-model-v3"


def base_variants() -> dict[str, Any]:
    return {
        "champion": {
            "weight": 90,
            "port": 8080,
            "targets": [INSTANCE_A, INSTANCE_B],
            "healthCheck": {"path": "/ping", "matcher": "200", "interval": 15, "timeout": 5},
            "control": True,
        },
        "challenger": {"weight": 10, "port": 8080, "targets": [INSTANCE_C]},
    }


def base_raw() -> dict[str, Any]:
    """Raw `ab-routing:` config (keys without the namespace) that is valid."""
    return {
        "variants": base_variants(),
        "stickiness": {"enabled": True, "duration": 3600},
        "listener": {"port": 80, "protocol": "HTTP", "allowedCidrs": ["0.0.0.0/0"]},
        "network": {"vpcId": "vpc-0abc1234", "subnetIds": ["subnet-0aaa1111", "subnet-0bbb2222"]},
    }


def stack_config(raw: dict[str, Any] | None = None, region: str = "us-east-1") -> dict[str, Any]:
    raw = base_raw() if raw is None else raw
    return {"aws:region": region, **{f"ab-routing:{k}": copy.deepcopy(v) for k, v in raw.items()}}


REPO = Path(__file__).resolve().parent.parent


def make_project(directory: Path, config: Mapping[str, Any] | None = None, stack: str = "dev") -> Path:
    """A project directory as users have it: this repository's `Pulumi.yaml` and, when `config` is
    given (full keys such as `ab-routing:variants`), a `Pulumi.<stack>.yaml` holding it."""
    shutil.copy(REPO / "Pulumi.yaml", directory / "Pulumi.yaml")
    if config is not None:
        write_stack(directory, config, stack)
    return directory


def write_stack(project: Path, config: Mapping[str, Any], stack: str = "dev") -> Path:
    """Write `Pulumi.<stack>.yaml` with `config` (full keys) and return its path."""
    path = project / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump({"config": dict(config)}))
    return path


def outputs_document(weights: Mapping[str, int] | None = None, **top: Any) -> dict[str, Any]:
    """Stack outputs shaped as `pulumi stack output --json` prints them (placeholder ARNs)."""
    weights = dict(weights or {"champion": 90, "challenger": 10})
    total = sum(weights.values())
    prefix = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}"
    document: dict[str, Any] = {
        "loadBalancerArnSuffix": "app/ab-routing-1234567/50dc6c495c0c9188",
        "loadBalancerArn": f"{prefix}:loadbalancer/app/ab-routing-1234567/50dc6c495c0c9188",
        "variants": {
            name: {
                "targetGroupArn": f"{prefix}:targetgroup/{name}-1234567/0123456789abcdef",
                "targetGroupArnSuffix": f"targetgroup/{name}-1234567/0123456789abcdef",
                "weight": w,
                "share": round(100 * w / total, 2) if total else 0.0,
            }
            for name, w in weights.items()
        },
    }
    document.update(top)
    return document


def write_outputs(project: Path, outputs: object, name: str = "outputs.json") -> Path:
    """Write an outputs document as JSON and return its path (for `--outputs`)."""
    path = project / name
    path.write_text(json.dumps(outputs))
    return path


@contextmanager
def moto_endpoint() -> Iterator[str]:
    """moto as an HTTP server on 127.0.0.1 (an ephemeral port), for commands run in their own process."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def subprocess_env(endpoint: str) -> dict[str, str]:
    """The environment of a command run in its own process that reaches AWS only through `endpoint`."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def run(raw: dict[str, Any] | None = None) -> OfflineRun:
    return run_offline(stack_config(raw))


def by_type(result: OfflineRun, typ: str) -> dict[str, Registration]:
    return {r.name: r for r in result.recording.registrations if r.type == typ}


def one(result: OfflineRun, typ: str) -> Registration:
    found = list(by_type(result, typ).values())
    assert len(found) == 1, f"expected one {typ}, got {[r.urn for r in found]}"
    return found[0]


def registrations(result: OfflineRun) -> dict[str, dict[str, Any]]:
    """URN -> inputs, for comparing two runs."""
    return {r.urn: r.inputs for r in result.recording.registrations}


ALB = "awsx:lb:ApplicationLoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
RULE = "aws:lb/listenerRule:ListenerRule"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
AWSX_ATTACHMENT = "awsx:lb:TargetGroupAttachment"
AWS_ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
