"""Pulumi mocks that stand in for AWS, for the offline plan and the tests.

Custom resources get deterministic placeholder ids and ARNs derived from their type and name, so
the same config always yields the same plan. awsx components are remote: under mocks their
children are never created, so for `awsx:lb:ApplicationLoadBalancer` we register stand-ins for
the load balancer, listeners and default target group awsx creates at deploy time, and return
resource references to them; code that reads `alb.listeners` or `alb.load_balancer` then runs.
Those stand-ins are listed apart (`awsx_children`), never mixed with the program's registrations.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from ab_routing import placeholders
from ab_routing.placeholders import ACCOUNT, DEFAULT_VPC_CIDR, PLACEHOLDER_SUBNETS, PLACEHOLDER_VPC_CIDR, PLACEHOLDER_VPC_ID

RESOURCE_REF = "4dabf18193072939515e22adb298388d"
RESOURCE_REF_VALUE = "5cf8f73096256a8f31e491e813e4eb8e"
SECRET = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
__all__ = ["ACCOUNT", "PLACEHOLDER_SUBNETS", "PLACEHOLDER_VPC_CIDR", "PLACEHOLDER_VPC_ID", "engine_urn"]


@dataclass(frozen=True)
class Registration:
    """One RegisterResource call, as the engine would receive it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]
    dependencies: tuple[str, ...] = ()
    """URNs this registration waits for (depends_on and inputs' resources)."""
    aliases: tuple[str, ...] = ()
    """Former URNs this resource answers to (`aliases` option), as the engine would compute them."""
    ignore_changes: tuple[str, ...] = ()
    """Input names the engine keeps from the old state (`ignore_changes` option)."""


@dataclass(frozen=True)
class AwsxChild:
    """A resource an awsx component creates at deploy time (modeled here, not registered)."""

    component: str
    urn: str
    type: str
    name: str
    role: str


@dataclass(frozen=True)
class Lookup:
    """A data-source invoke and the placeholder answer it got offline."""

    token: str
    args: dict[str, Any]
    result: dict[str, Any]


@dataclass
class Recording:
    registrations: list[Registration] = field(default_factory=list)
    awsx_children: list[AwsxChild] = field(default_factory=list)
    lookups: list[Lookup] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What the program logged with pulumi.log.warn (shown by `pulumi up`; the plan prints them)."""


class _EngineLog(logging.Handler):
    """Collects the program's warnings instead of letting the root logger print them bare."""

    def __init__(self, recording: Recording) -> None:
        super().__init__(logging.WARNING)
        self.recording = recording

    def emit(self, record: logging.LogRecord) -> None:
        self.recording.warnings.append(record.getMessage())


def engine_urn(stack: str, project: str, parent: str | None, typ: str, name: str) -> str:
    """The URN the Pulumi engine gives a resource (pkg/resource/deploy `generateURN`): the parent's
    whole qualified type chain is prefixed, except when the parent is the root stack, whose type is
    left out. The SDK's MockMonitor instead keeps only the parent's last type, stack included."""
    qualified = typ
    if parent:
        parent_type = parent.split("::", 3)[2]
        if parent_type != ROOT_STACK_TYPE:
            qualified = f"{parent_type}${typ}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def plain(value: Any) -> Any:
    """Wire values (protobuf Struct as dict) -> plain JSON: integral floats back to ints, resource
    references as {"$ref": urn}, secrets as {"$secret": value}, unknowns as "<computed>"."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        sig = value.get(RESOURCE_REF)
        if sig == RESOURCE_REF_VALUE:
            return {"$ref": value.get("urn")}
        if sig == SECRET:
            return {"$secret": plain(value.get("value"))}
        return {k: plain(v) for k, v in value.items()}
    if value == UNKNOWN:
        return "<computed>"
    return value


class PlaceholderMocks(pulumi.runtime.Mocks):
    """Answers registrations and invokes with deterministic placeholders for one region."""

    def __init__(
        self,
        region: str = "us-east-1",
        network_vpc_id: str | None = None,
        subnet_vpcs: Mapping[str, str] | None = None,
        subnet_zones: Mapping[str, str] | None = None,
    ) -> None:
        self.region = region
        self.network_vpc_id = network_vpc_id or PLACEHOLDER_VPC_ID
        """What `getSubnet` answers as a subnet's VPC: the stack's `network.vpcId` (offline there is
        no way to know better; `pulumi preview` asks AWS), unless `subnet_vpcs` names another."""
        self.subnet_vpcs = dict(subnet_vpcs or {})
        self.subnet_zones = dict(subnet_zones or {})
        """A subnet's Availability Zone as `getSubnet` answers it: from `subnet_zones`, else a zone of
        its own (offline the zones are unknown; each subnet id is taken to be in a different one)."""
        self.monitor: RecordingMonitor | None = None
        self.recording = Recording()
        self._lock = threading.Lock()

    # -- resources ----------------------------------------------------------------------------

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "awsx:lb:ApplicationLoadBalancer":
            return None, self._application_load_balancer(args)
        if args.typ == "awsx:lb:TargetGroupAttachment":
            self._target_group_attachment(args)
            return None, {}
        if not args.custom:
            return None, {}
        resource_id, computed = self.placeholder(args.typ, args.name, args.inputs)
        return resource_id, {**args.inputs, **computed}

    def placeholder(self, typ: str, name: str, inputs: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Id and computed outputs that AWS would assign, in AWS's format (see `ab_routing.placeholders`)."""
        return placeholders.placeholder(typ, name, inputs, self.region)

    def _application_load_balancer(self, args: MockResourceArgs) -> dict[str, Any]:
        inputs = args.inputs
        load_balancer = self._child(args, "aws:lb/loadBalancer:LoadBalancer", args.name, "load balancer", inputs)
        target_group = self._child(
            args,
            "aws:lb/targetGroup:TargetGroup",
            args.name,
            "default target group awsx always creates; nothing forwards to it",
            inputs.get("defaultTargetGroup") or {},
        )
        listeners = [
            self._child(
                args,
                "aws:lb/listener:Listener",
                f"{args.name}-{i}",
                f"listener {listener.get('protocol', '')} {listener.get('port', '')}".strip(),
                {**listener, "loadBalancerArn": load_balancer["id"]},
            )
            for i, listener in enumerate(inputs.get("listeners") or [])
        ]
        return {
            "loadBalancer": load_balancer,
            "defaultTargetGroup": target_group,
            "listeners": listeners,
            "vpcId": PLACEHOLDER_VPC_ID,
        }

    def _target_group_attachment(self, args: MockResourceArgs) -> None:
        if args.inputs.get("lambdaArn"):
            self._child(args, "aws:lambda/permission:Permission", args.name, "lets ALB invoke the function", {})
        self._child(args, "aws:lb/targetGroupAttachment:TargetGroupAttachment", args.name, "target registration", {})

    def _child(self, args: MockResourceArgs, typ: str, name: str, role: str, state: Mapping[str, Any]) -> dict[str, Any]:
        """Register a stand-in for an awsx child under the component and return a reference to it."""
        monitor = self.monitor
        assert monitor is not None, "PlaceholderMocks must be installed with install_mocks()"
        component = monitor.current_urn()
        urn = monitor.make_urn(component, typ, name)
        resource_id, computed = self.placeholder(typ, name, state)
        monitor.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, {**state, **computed})
        with self._lock:
            self.recording.awsx_children.append(AwsxChild(component, urn, typ, name, role))
        return {RESOURCE_REF: RESOURCE_REF_VALUE, "urn": urn, "id": resource_id}

    # -- invokes ------------------------------------------------------------------------------

    def _zone(self, subnet: str) -> str:
        with self._lock:
            if subnet not in self.subnet_zones:
                self.subnet_zones[subnet] = f"{self.region}-zone-{len(self.subnet_zones) + 1}"
            return self.subnet_zones[subnet]

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        result: dict[str, Any]
        if args.token == "aws:ec2/getVpc:getVpc":
            vpc_id = args.args.get("id") or PLACEHOLDER_VPC_ID
            cidr = DEFAULT_VPC_CIDR if vpc_id == PLACEHOLDER_VPC_ID else PLACEHOLDER_VPC_CIDR
            result = {
                "id": vpc_id,
                "cidrBlock": cidr,
                "cidrBlockAssociations": [{"associationId": "vpc-cidr-assoc-0", "cidrBlock": cidr, "state": "associated"}],
            }
        elif args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            result = {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/placeholder", "id": ACCOUNT, "userId": "PLACEHOLDER"}
        elif args.token == "aws:ec2/getSubnet:getSubnet":
            subnet = str(args.args.get("id") or "")
            result = {"id": subnet, "vpcId": self.subnet_vpcs.get(subnet, self.network_vpc_id), "availabilityZone": self._zone(subnet)}
        elif args.token == "aws:ec2/getSubnets:getSubnets":
            result = {"id": self.region, "ids": list(PLACEHOLDER_SUBNETS)}
        else:
            result = {}
        with self._lock:
            self.recording.lookups.append(Lookup(args.token, plain(dict(args.args)), result))
        return result, []


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, also recording each registration with its parent and wire inputs."""

    def __init__(self, mocks: PlaceholderMocks) -> None:
        super().__init__(mocks)
        self._mocks = mocks
        self._current = threading.local()
        self._loops: set[asyncio.AbstractEventLoop] = set()
        mocks.monitor = self

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs exactly as the engine makes them, for registrations, reads and awsx stand-ins alike."""
        return engine_urn(pulumi.get_stack(), pulumi.get_project(), parent, type_, name)

    def current_urn(self) -> str:
        return str(getattr(self._current, "urn", ""))

    def _track_loop(self) -> None:
        """The SDK gives each monitor thread an event loop of its own and never closes it; left to
        the garbage collector at interpreter exit, a loop may close after its sockets and print an
        "Exception ignored" traceback. Keep them so `close_loops` can close them in order."""
        with self._mocks._lock:
            self._loops.add(_ensure_event_loop())

    def close_loops(self) -> None:
        """Close the monitor threads' event loops; call once the run and its executor are done."""
        with self._mocks._lock:
            loops, self._loops = self._loops, set()
        for loop in loops:
            if not loop.is_running() and not loop.is_closed():
                loop.close()

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self._track_loop()
        return super().Invoke(request)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self._track_loop()
        return super().ReadResource(request)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """Like MockMonitor.RegisterResource, but inputs reach the mocks as plain JSON (resource
        references as {"$ref": urn}). The SDK's version rehydrates references on the monitor's
        thread, whose event loop is not the program's, and the run then fails."""
        self._track_loop()
        urn = self.make_urn(request.parent, request.type, request.name)
        inputs = plain(json_format.MessageToDict(request.object))
        registration = Registration(
            urn,
            request.type,
            request.name,
            request.parent or None,
            bool(request.custom),
            inputs,
            tuple(sorted(request.dependencies)),
            aliases=tuple(alias_urn(a, request.type, request.name, request.parent) for a in request.aliases),
            ignore_changes=tuple(request.ignoreChanges),
        )
        with self._mocks._lock:
            self._mocks.recording.registrations.append(registration)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        self._current.urn = urn
        args = MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=bool(request.custom),
        )
        resource_id, state = self._mocks.new_resource(args)
        state_proto = _sync_await(rpc.serialize_properties(state, {}))
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id or "", state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id or "", object=state_proto)


def alias_urn(alias: Any, typ: str, name: str, parent: str) -> str:
    """The URN an alias stands for, as the engine resolves an alias spec: the alias's parent URN
    (or the resource's own parent) gives the type chain, `parent-chain$type::name`; unset fields
    default to the resource's own. A full-URN alias is returned as is."""
    if alias.urn:
        return str(alias.urn)
    spec = alias.spec
    if spec.noParent:
        stack_and_project = "::".join(parent.split("::")[:2])
        return f"{stack_and_project}::{spec.type or typ}::{spec.name or name}"
    head = (spec.parentUrn or parent).rsplit("::", 1)[0]
    return f"{head}${spec.type or typ}::{spec.name or name}"


def install_mocks(
    project: str,
    stack: str,
    region: str = "us-east-1",
    network_vpc_id: str | None = None,
    subnet_vpcs: Mapping[str, str] | None = None,
    subnet_zones: Mapping[str, str] | None = None,
) -> PlaceholderMocks:
    """Point the Pulumi SDK at fresh mocks (a new root stack too) and return them."""
    mocks = PlaceholderMocks(region, network_vpc_id, subnet_vpcs, subnet_zones)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.settings.ROOT.set(None)
    logger = logging.Logger("ab_routing.engine")  # not registered globally: one per run, no propagation
    logger.addHandler(_EngineLog(mocks.recording))
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, logger=logger, monitor=monitor)
    return mocks
