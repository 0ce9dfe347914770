"""Shared pieces of the rollout tests: moto's ELBv2 over HTTP, a project directory, an injectable
clock, fake signals and verdicts, and the fake `pulumi` (in-process or as an executable on PATH)."""

from __future__ import annotations

import atexit
import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from ab_routing.__main__ import parser
from ab_routing.rollout.apply import PulumiError
from ab_routing.rollout.cli import Context, run_promote, run_rollback, run_rollout
from ab_routing.rollout.engine import Env
from ab_routing.rollout.signals import Health
from ab_routing.rollout.status import StatusLine
from ab_routing.rollout.verdicts import VariantVerdict
from tests import fake_pulumi

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2025, 3, 4, 10, 0, 20, tzinfo=UTC)
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@dataclass
class Alb:
    endpoint: str
    elbv2: Any
    outputs: dict[str, Any]

    def reset(self, weights: dict[str, int], sticky: bool = True) -> None:
        arns = {n: v["targetGroupArn"] for n, v in self.outputs["variants"].items()}
        fake_pulumi.modify_listener(
            self.endpoint, self.outputs["listenerArn"], [(arns[n], w) for n, w in sorted(weights.items())], sticky, 3600
        )

    def weights(self) -> tuple[dict[str, int], bool]:
        action = self.elbv2.describe_listeners(ListenerArns=[self.outputs["listenerArn"]])["Listeners"][0]["DefaultActions"][0]
        names = {v["targetGroupArn"]: n for n, v in self.outputs["variants"].items()}
        config = action["ForwardConfig"]
        return {names[g["TargetGroupArn"]]: g["Weight"] for g in config["TargetGroups"]}, config["TargetGroupStickinessConfig"]["Enabled"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _build_alb(endpoint: str) -> Alb:
    """A load balancer, two target groups and a weighted listener at 90/10, sticky, as `pulumi up` leaves them."""
    ec2 = boto3.client("ec2", endpoint_url=endpoint, **KEYS)
    elbv2 = boto3.client("elbv2", endpoint_url=endpoint, **KEYS)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "b"))
    ]
    lb = elbv2.create_load_balancer(Name="ab-routing", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    groups = {
        name: elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
        for name in ("champion", "challenger")
    }
    listener = elbv2.create_listener(
        LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": groups["champion"]}]
    )["Listeners"][0]["ListenerArn"]
    outputs = {
        "loadBalancerArn": lb,
        "loadBalancerArnSuffix": lb.split(":loadbalancer/", 1)[1],
        "listenerArn": listener,
        "variants": {
            name: {"targetGroupArn": arn, "targetGroupArnSuffix": arn.split(":", 5)[5], "weight": {"champion": 90, "challenger": 10}[name]}
            for name, arn in groups.items()
        },
        "alarms": {
            name: {"errorRate": f"{name}-error-rate", "latencyP99": f"{name}-latency-p99", "noHealthyHosts": f"{name}-no-healthy-hosts"}
            for name in groups
        },
    }
    return Alb(endpoint, elbv2, outputs)


class MotoServer:
    """`moto_server` in its own process on 127.0.0.1, booted in the background.

    Importing moto's EC2 and ELBv2 backends takes seconds on a small machine; started when the test
    module is collected, the server boots (and the ALB is built) while earlier test modules run, so
    the rollout tests wait for it only when they are run alone.
    """

    def __init__(self) -> None:
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        atexit.register(self.stop)
        self.result: Alb | BaseException | None = None
        self.thread = threading.Thread(target=self._prepare, daemon=True)
        self.thread.start()

    def _prepare(self) -> None:
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise RuntimeError("moto_server did not start") from None
                    time.sleep(0.05)
            self.result = _build_alb(self.endpoint)
        except BaseException as problem:  # handed to the fixture, which raises it
            self.result = problem

    def alb(self) -> Alb:
        self.thread.join(timeout=90)
        if isinstance(self.result, BaseException):
            raise self.result
        assert self.result is not None, "moto_server did not get ready in 90 s"
        return self.result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()  # a throwaway server: no state worth a graceful shutdown
            self.process.wait(timeout=10)


@dataclass
class Clock:
    now: datetime = T0
    interrupt_after: float | None = None
    """Seconds from the start after which the next sleep raises KeyboardInterrupt (a Ctrl-C in a bake)."""
    slept: float = 0.0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        if self.interrupt_after is not None and self.slept >= self.interrupt_after:
            self.interrupt_after = None
            raise KeyboardInterrupt
        self.slept += seconds
        self.now += timedelta(seconds=seconds)

    def elapsed(self) -> float:
        return (self.now - T0).total_seconds()


@dataclass
class Signals:
    clock: Clock
    per_minute: int = 100
    alarm_at: tuple[str, float] | None = None
    """(alarm name, seconds from the start) from when it is in ALARM."""
    healthy: int = 2
    calls: int = 0
    lb_per_minute: int = 1000
    """The load balancer's busiest minute (what a container variant is scaled for)."""

    def alarm_states(self, names: Sequence[str]) -> dict[str, str]:
        self.calls += 1
        return {n: "ALARM" if self.alarm_at and n == self.alarm_at[0] and self.clock.elapsed() >= self.alarm_at[1] else "OK" for n in names}

    def requests(self, load_balancer: str, target_group: str, start: datetime, end: datetime) -> int:
        return max(0, int((end - start).total_seconds() // 60)) * self.per_minute

    def health(self, target_group_arn: str) -> Health:
        return Health(self.healthy, 2, True)

    def busiest_minute(self, load_balancer: str, start: datetime, end: datetime) -> int:
        return self.lb_per_minute


@dataclass
class Verdicts:
    clock: Clock
    script: Callable[[float], VariantVerdict] = lambda elapsed: VariantVerdict("keep collecting")
    asked: list[tuple[str, datetime]] = field(default_factory=list)

    def verdict(self, variant: str, since: datetime, now: datetime) -> VariantVerdict:
        self.asked.append((variant, since))
        return self.script(self.clock.elapsed())


class InProcessPulumi:
    """The fake CLI called in-process (same code as the executable, no interpreter start-up)."""

    def __init__(self, directory: Path, stream: io.StringIO) -> None:
        self.directory = directory
        self.stream = stream

    def whoami(self) -> str:
        if fake_pulumi.main(["whoami"], self.directory, self.stream) != 0:
            raise PulumiError("the pulumi CLI is not logged in")
        return "tester"

    def up(self, stack: str) -> None:
        out = io.StringIO()
        code = fake_pulumi.main(["up", "--yes", "--stack", stack], self.directory, out)
        self.stream.write(out.getvalue())
        if code != 0:
            raise PulumiError(f"`pulumi up --yes --stack {stack}` failed (exit code {code}): {out.getvalue().splitlines()[-1]}")


CLUSTER, SERVICE = "ab-routing-cluster", "challenger-service"
CONTAINER = (
    '      container: {image: "ghcr.io/acme/model:1.0", assignPublicIp: true, minCount: 2, maxCount: 8, targetRequestsPerTarget: 100}'
)


@dataclass
class Ecs:
    """The challenger's Fargate service as ECS reports it: tasks start `start_per_poll` per
    DescribeServices after a desired-count change. Each UpdateService records the desired count and
    the challenger's weight the listener forwarded at that moment."""

    alb: Alb
    desired: int = 2
    running: int = 2
    start_per_poll: int = 100
    updates: list[tuple[int, int]] = field(default_factory=list)

    def describe_services(self, cluster: str, services: list[str]) -> dict[str, Any]:
        assert (cluster, services) == (CLUSTER, [SERVICE])
        pending = self.desired - self.running
        status = {"status": "ACTIVE", "desiredCount": self.desired, "runningCount": self.running, "pendingCount": pending}
        self.running = min(self.desired, self.running + self.start_per_poll)
        return {"services": [status]}

    def update_service(self, cluster: str, service: str, desiredCount: int) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        assert (cluster, service) == (CLUSTER, SERVICE)
        self.updates.append((desiredCount, self.alb.weights()[0]["challenger"]))
        self.desired = desiredCount
        return {}


@dataclass
class Autoscaling:
    """The challenger's scalable target: each MinCapacity set, with the challenger's weight then."""

    alb: Alb
    floors: list[tuple[int, int]] = field(default_factory=list)

    def register_scalable_target(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["ServiceNamespace"] == "ecs" and kwargs["ScalableDimension"] == "ecs:service:DesiredCount"
        assert kwargs["ResourceId"] == f"service/{CLUSTER}/{SERVICE}"
        self.floors.append((kwargs["MinCapacity"], self.alb.weights()[0]["challenger"]))
        return {}


@dataclass
class Project:
    dir: Path
    alb: Alb
    clock: Clock
    signals: Signals
    verdicts: Verdicts
    log: io.StringIO = field(default_factory=io.StringIO)
    ecs: Ecs | None = None
    autoscaling: Autoscaling | None = None

    def containerize(self) -> Ecs:
        """Make the challenger a container variant (stack file and outputs) served by `self.ecs`."""
        text = self.stack_file.read_text()
        challenger = "      weight: 10\n      port: 8080\n      targets: [i-0aaaaaaaaaaaaaaa1]"
        assert challenger in text
        self.stack_file.write_text(text.replace(challenger, "      weight: 10\n" + CONTAINER))
        outputs = json.loads((self.dir / "outputs.json").read_text())
        outputs["variants"]["challenger"].update(ecsCluster=CLUSTER, ecsService=SERVICE)
        (self.dir / "outputs.json").write_text(json.dumps(outputs))
        self.ecs = Ecs(self.alb)
        self.autoscaling = Autoscaling(self.alb)
        return self.ecs

    @property
    def stack_file(self) -> Path:
        return self.dir / "Pulumi.dev.yaml"

    def behave(self, **changes: Any) -> None:
        path = self.dir / fake_pulumi.BEHAVIOUR
        behaviour = json.loads(path.read_text())
        behaviour.update(changes)
        path.write_text(json.dumps(behaviour))

    def calls(self) -> list[list[str]]:
        path = self.dir / fake_pulumi.CALLS
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def records(self) -> list[dict[str, Any]]:
        path = self.dir / ".ab-routing" / "rollouts.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def env(self, context: Context) -> Env:
        return Env(
            clock=self.clock,
            sleep=self.clock.sleep,
            elbv2=self.alb.elbv2,
            signals=self.signals,
            verdicts=self.verdicts,
            pulumi=context.pulumi,
            status=StatusLine(stream=self.log),
            ecs=self.ecs,
            autoscaling=self.autoscaling,
        )

    def args(self, *argv: str, outputs: bool = True) -> Any:
        extra = ["--outputs", str(self.dir / "outputs.json")] if outputs else []
        return parser().parse_args([argv[0], "--stack", "dev", "--dir", str(self.dir), *extra, *argv[1:]])

    def run(self, *argv: str, in_process: bool = True) -> int:
        runner = {"rollout": run_rollout, "rollback": run_rollback, "promote": run_promote}[argv[0]]
        if in_process:
            return runner(self.args(*argv), self.env, lambda d: InProcessPulumi(d, self.log))
        return runner(self.args(*argv, outputs=False), self.env)


def make_project(tmp_path: Path, alb: Alb) -> Project:
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copyfile(REPO / name, tmp_path / name)
    (tmp_path / "outputs.json").write_text(json.dumps(alb.outputs))
    (tmp_path / fake_pulumi.BEHAVIOUR).write_text(json.dumps({"endpoint": alb.endpoint, "outputs": alb.outputs}))
    alb.reset({"champion": 90, "challenger": 10}, True)
    clock = Clock()
    return Project(tmp_path, alb, clock, Signals(clock), Verdicts(clock))


def install_fake_pulumi(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake CLI as an executable named `pulumi`, first on PATH."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "pulumi"
    script.write_text(f"#!{sys.executable}\n" + Path(fake_pulumi.__file__).read_text())
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
