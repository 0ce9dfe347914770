"""Shared set-up for the `verify` tests: a stack's files, the ALB it describes built in moto's
ELBv2, and a loopback HTTP server that routes like an ALB (weights, override header, AWSALBTG)."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from aiohttp import web

from ab_routing.config import parse_config
from ab_routing.model import RoutingConfig
from ab_routing.outputs import Deployed, parse_outputs
from tests.support import make_project, write_outputs

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
HEADER = "X-Model-Variant"


def raw_config(
    weights: Mapping[str, int], *, stickiness: bool = True, source_cidrs: Sequence[str] = (), header: str | None = HEADER
) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "variants": {name: {"weight": w, "targets": ["i-0123456789abcdef0"]} for name, w in weights.items()},
        "stickiness": {"enabled": stickiness, "duration": 3600},
    }
    raw["overrideHeader"] = header if header is not None else ""
    if source_cidrs:
        raw["overrideSourceCidrs"] = list(source_cidrs)
    return raw


def routing_config(weights: Mapping[str, int], **kwargs: Any) -> RoutingConfig:
    return parse_config(raw_config(weights, **kwargs), region=REGION)


@dataclass
class MotoAlb:
    """What `pulumi up` would have built, as moto's ELBv2 holds it, plus handles to change it."""

    elbv2: Any
    ec2: Any
    vpc: str
    load_balancer_arn: str
    listener_arn: str
    groups: dict[str, str]
    """variant -> target group ARN"""
    rules: dict[str, str] = field(default_factory=dict)
    """variant -> override rule ARN"""
    instance: str = ""

    def outputs(self, weights: Mapping[str, int], url: str = "http://ab-routing.example") -> dict[str, Any]:
        suffix = self.load_balancer_arn.split(":loadbalancer/", 1)[1]
        total = sum(weights.values())
        return {
            "url": url,
            "loadBalancerArn": self.load_balancer_arn,
            "loadBalancerArnSuffix": suffix,
            "listenerArn": self.listener_arn,
            "variants": {
                name: {
                    "targetGroupArn": self.groups[name],
                    "targetGroupArnSuffix": self.groups[name].split(":", 5)[5],
                    "weight": w,
                    "share": round(100 * w / total, 2),
                }
                for name, w in weights.items()
            },
        }

    def deployed(self, weights: Mapping[str, int]) -> Deployed:
        return parse_outputs(self.outputs(weights), "test outputs")

    def set_forward(self, weights: Mapping[str, int], *, stickiness: bool = True) -> None:
        self.elbv2.modify_listener(ListenerArn=self.listener_arn, DefaultActions=[forward(self.groups, weights, stickiness)])


def forward(groups: Mapping[str, str], weights: Mapping[str, int], stickiness: bool) -> dict[str, Any]:
    return {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": groups[n], "Weight": w} for n, w in sorted(weights.items())],
            "TargetGroupStickinessConfig": {"Enabled": stickiness, **({"DurationSeconds": 3600} if stickiness else {})},
        },
    }


def header_rule(header: str, variant: str, source_cidrs: Sequence[str] = ()) -> list[dict[str, Any]]:
    conditions: list[dict[str, Any]] = [{"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header, "Values": [variant]}}]
    if source_cidrs:
        conditions.append({"Field": "source-ip", "SourceIpConfig": {"Values": list(source_cidrs)}})
    return conditions


@dataclass
class MotoWorld:
    """One VPC with two subnets and a running instance in moto, shared by the tests of a module
    (each test builds its own load balancer in it); clients made once, since making one is slow."""

    ec2: Any
    elbv2: Any
    vpc: str
    subnets: list[str]
    instance: str
    count: int = 0


def moto_world(endpoint: str | None = None) -> MotoWorld:
    kwargs: dict[str, Any] = {"region_name": REGION}
    if endpoint:
        kwargs |= {"endpoint_url": endpoint, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    ec2: Any = boto3.client("ec2", **kwargs)
    elbv2: Any = boto3.client("elbv2", **kwargs)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
        for i, zone in enumerate("ab", start=1)
    ]
    instance = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    return MotoWorld(ec2, elbv2, vpc, subnets, instance)


def build_alb(world: MotoWorld, config: RoutingConfig, *, instance: str | None = None) -> MotoAlb:
    """A load balancer, one target group per variant with `instance` (default: the world's) registered,
    the listener's weighted forward and one override rule per variant, as the program declares them."""
    world.count += 1
    elbv2 = world.elbv2
    lb = elbv2.create_load_balancer(Name=f"ab-routing-{world.count}", Subnets=world.subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    target = instance or world.instance
    groups: dict[str, str] = {}
    for v in config.variants:
        arn = elbv2.create_target_group(Name=f"{v.name}-{world.count}", Protocol="HTTP", Port=8080, VpcId=world.vpc, TargetType="instance")[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": target, "Port": 8080}])
        groups[v.name] = arn
    weights = {v.name: v.weight for v in config.variants}
    listener = elbv2.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[forward(groups, weights, config.stickiness.enabled)]
    )["Listeners"][0]["ListenerArn"]
    alb = MotoAlb(world.elbv2, world.ec2, world.vpc, lb, listener, groups, instance=target)
    if config.override.header:
        for v in config.variants:
            alb.rules[v.name] = elbv2.create_rule(
                ListenerArn=listener,
                Priority=v.rule_priority,
                Conditions=header_rule(config.override.header, v.name, config.override.source_cidrs),
                Actions=[{"Type": "forward", "TargetGroupArn": groups[v.name]}],
            )["Rules"][0]["RuleArn"]
    return alb


@contextmanager
def aws_environment() -> Iterator[None]:
    """Fake credentials and no endpoint override, restored afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
            patch.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
            patch.delenv(key, raising=False)
        yield


def write_project(tmp_path: Path, raw: Mapping[str, Any], outputs: Mapping[str, Any] | None) -> Path:
    """Pulumi.yaml, Pulumi.dev.yaml from `raw` and (unless None) outputs.json."""
    make_project(tmp_path, {"aws:region": REGION, **{f"ab-routing:{k}": v for k, v in raw.items()}})
    if outputs is not None:
        write_outputs(tmp_path, outputs)
    return tmp_path


@dataclass
class FakeAlbBehaviour:
    """How the loopback server routes; each flag breaks one thing a check must catch."""

    weights: dict[str, int]
    header: str | None = HEADER
    sticky: bool = True
    honour_override: bool = True
    honour_cookie: bool = True
    send_variant_header: bool = True
    seed: int = 7
    seen_user_agents: set[str] = field(default_factory=set)
    seen_cookies: int = 0


def serve_fake_alb(behaviour: FakeAlbBehaviour) -> Generator[str, None, None]:
    """An aiohttp server on 127.0.0.1, in its own thread and event loop, that answers like model
    servers behind an ALB; yields its base URL."""
    rng = random.Random(behaviour.seed)

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        behaviour.seen_user_agents.add(request.headers.get("User-Agent", ""))
        cookie = request.cookies.get("AWSALBTG")
        if cookie is not None:
            behaviour.seen_cookies += 1
        forced = request.headers.get(behaviour.header) if behaviour.header else None
        names = sorted(behaviour.weights)
        if forced in behaviour.weights and behaviour.honour_override:
            variant = str(forced)
        elif behaviour.sticky and behaviour.honour_cookie and cookie in names:
            variant = str(cookie)
        else:
            variant = rng.choices(names, weights=[behaviour.weights[n] for n in names])[0]
        response = web.json_response({"status": "ok"})
        if behaviour.send_variant_header:
            response.headers["X-Model-Variant"] = variant
        if behaviour.sticky:
            response.set_cookie("AWSALBTG", variant, max_age=3600, path="/")
        return response

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, access_log=None)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


class _NotFoundError(Exception):
    pass


class StaticElbv2:
    """An ELBv2 client stand-in answering the three reads verify makes from what the program would
    have deployed for `config`, every target healthy. For traffic tests: fast, and moto's ELBv2 is
    exercised by the drift tests."""

    class exceptions:  # noqa: N801 - mirrors botocore's client.exceptions
        ListenerNotFoundException = _NotFoundError
        TargetGroupNotFoundException = _NotFoundError

    LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/ab-routing/50dc6c495c0c9188/f2f7dc8efc522ab2"

    def __init__(self, config: RoutingConfig) -> None:
        self.groups = {
            v.name: f"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{v.name}-7a1b2c3/73e2d6bc24d8a0{i:02d}"
            for i, v in enumerate(config.variants)
        }
        self.config = config

    def outputs(self, url: str) -> dict[str, Any]:
        weights = {v.name: v.weight for v in self.config.variants}
        total = sum(weights.values())
        return {
            "url": url,
            "loadBalancerArnSuffix": "app/ab-routing/50dc6c495c0c9188",
            "listenerArn": self.LISTENER,
            "variants": {
                n: {
                    "targetGroupArn": arn,
                    "targetGroupArnSuffix": arn.split(":", 5)[5],
                    "weight": weights[n],
                    "share": 100 * weights[n] / total,
                }
                for n, arn in self.groups.items()
            },
        }

    def describe_listeners(self, ListenerArns: list[str]) -> dict[str, Any]:  # noqa: N803
        weights = {v.name: v.weight for v in self.config.variants}
        return {
            "Listeners": [
                {"ListenerArn": ListenerArns[0], "DefaultActions": [forward(self.groups, weights, self.config.stickiness.enabled)]}
            ]
        }

    def describe_rules(self, ListenerArn: str, **_: Any) -> dict[str, Any]:  # noqa: N803
        override = self.config.override
        rules = [
            {
                "RuleArn": f"{ListenerArn}/{v.name}",
                "Priority": str(v.rule_priority),
                "Conditions": header_rule(override.header, v.name, override.source_cidrs),
                "Actions": [{"Type": "forward", "TargetGroupArn": self.groups[v.name]}],
            }
            for v in self.config.variants
            if override.header
        ]
        return {"Rules": rules}

    def describe_target_health(self, TargetGroupArn: str) -> dict[str, Any]:  # noqa: N803
        return {"TargetHealthDescriptions": [{"Target": {"Id": "i-0123456789abcdef0", "Port": 8080}, "TargetHealth": {"State": "healthy"}}]}
