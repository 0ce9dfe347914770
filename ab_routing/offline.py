"""Run the real Pulumi program under mocks and collect what it registers and exports."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import settings
from pulumi.runtime.stack import run_pulumi_func

from ab_routing.mocks import Recording, install_mocks, plain
from ab_routing.program import main
from ab_routing.region import resolve_region


@dataclass(frozen=True)
class OfflineRun:
    project: str
    stack: str
    recording: Recording
    outputs: dict[str, Any]


def config_strings(config: Mapping[str, object]) -> dict[str, str]:
    """Stack config as the engine hands it to a program: strings, structured values as JSON."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def run_offline(
    config: Mapping[str, object],
    project: str = "ab-routing",
    stack: str = "dev",
    program: Callable[[], None] = main,
    subnet_vpcs: Mapping[str, str] | None = None,
    subnet_zones: Mapping[str, str] | None = None,
) -> OfflineRun:
    """Run `program` with `config` (full keys such as `ab-routing:variants`) against placeholder
    mocks. Exceptions from the program (e.g. pulumi.RunError for bad config) propagate; RegionError
    when no region is set anywhere the AWS provider looks.

    Subnet lookups answer with the config's `network.vpcId` unless `subnet_vpcs` (subnet id -> VPC
    id) says otherwise, as a test of a mismatched network does; each subnet is in a zone of its own
    unless `subnet_zones` (subnet id -> zone) says otherwise."""
    region = resolve_region(config).name
    # A loop of our own, set before the SDK makes any future and closed in order with the monitor
    # threads' loops, so nothing is left for the garbage collector to close at interpreter exit
    # (where it can print "Exception ignored" tracebacks on stderr).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # A run that failed half-way (a check raising inside an apply) leaves RPCs and output tasks of
    # its closed loop in the SDK's global settings; start from none, as pulumi.runtime.test does.
    sdk_settings: Any = settings.SETTINGS
    sdk_settings.rpc_manager.clear()
    sdk_settings.outputs.clear()
    pulumi.runtime.set_all_config(config_strings(config))
    mocks = install_mocks(project, stack, region, _network_vpc_id(config), subnet_vpcs, subnet_zones)
    outputs: dict[str, Any] = {}

    async def body() -> None:
        program()
        root = settings.get_root_resource()
        exported = getattr(root, "outputs", {})
        resolved = await pulumi.Output.from_input(exported).future()
        outputs.update(plain(resolved or {}))

    try:
        loop.run_until_complete(run_pulumi_func(body))
    finally:
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_default_executor())
        if mocks.monitor is not None:
            mocks.monitor.close_loops()
        loop.close()
        asyncio.set_event_loop(None)
    return OfflineRun(project, stack, mocks.recording, outputs)


def _network_vpc_id(config: Mapping[str, object]) -> str | None:
    """`network.vpcId` from raw stack config (a map, or JSON as the engine passes it), if any."""
    network = config.get("ab-routing:network")
    if isinstance(network, str):
        try:
            network = json.loads(network)
        except ValueError:
            return None
    vpc_id = network.get("vpcId") if isinstance(network, dict) else None
    return vpc_id if isinstance(vpc_id, str) else None
