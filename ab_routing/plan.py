"""`python -m ab_routing plan`: what `pulumi up` would register, without an AWS account.

The plan validates the stack's config, runs the real program under placeholder mocks and
describes the result as one document (`build_plan`), shown as text or JSON. Registrations happen
on threads under mocks, so the order is made deterministic: a tree walk from the root stack,
parents before children, siblings by URN. Same config, same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ab_routing.config import parse_stack_config
from ab_routing.mocks import Registration
from ab_routing.model import Variant
from ab_routing.offline import run_offline
from ab_routing.region import resolve_region
from ab_routing.shares import shares
from ab_routing.stackfiles import StackFiles
from ab_routing.tables import table

NOTES = (
    "Offline plan under Pulumi mocks: nothing was deployed or previewed against AWS.",
    "ARNs, ids, DNS names, network.vpcId's CIDR (taken as 10.0.0.0/8) and default-VPC subnets are deterministic"
    " placeholders; the default VPC's CIDR is AWS's 172.31.0.0/16. The CIDR only decides which IP targets are outside"
    " the VPC (availabilityZone 'all', network.targetCidrs); pulumi preview places them against the real blocks.",
    "Subnet lookups answer with network.vpcId offline; pulumi preview checks that each subnet really is in it.",
    "Shares are percentages, 100 * weight / sum of weights, rounded half-up to 2 decimals.",
    "'resources' lists this program's registrations: a tree walk from the stack, parents before children, siblings by URN.",
    "'awsxChildren' lists what awsx components create at deploy time; they are not registrations of this program.",
)


def build_plan(files: StackFiles) -> dict[str, Any]:
    """The plan document. Raises ConfigError (before anything runs) when the config is invalid."""
    config = parse_stack_config(files.config, resolve_region(files.config).name)
    run = run_offline(files.config, project=files.project, stack=files.stack)
    share_of = shares({v.name: v.weight for v in config.variants})
    return {
        "project": files.project,
        "stack": files.stack,
        "notes": list(NOTES),
        "variants": [_variant(v, share_of[v.name]) for v in config.variants],
        "resources": [_resource(r) for r in ordered(run.recording.registrations)],
        "awsxChildren": sorted(
            ({"component": c.component, "urn": c.urn, "type": c.type, "name": c.name, "role": c.role} for c in run.recording.awsx_children),
            key=lambda c: c["urn"],
        ),
        "lookups": sorted(
            ({"token": lk.token, "args": lk.args, "placeholder": lk.result} for lk in run.recording.lookups),
            key=lambda lk: json.dumps(lk, sort_keys=True),
        ),
        "outputs": run.outputs,
        "warnings": list(run.recording.warnings),
    }


def ordered(registrations: Sequence[Registration]) -> list[Registration]:
    """Parents before children, siblings by URN (a pre-order walk of the resource tree)."""
    children: dict[str | None, list[Registration]] = {}
    for r in registrations:
        children.setdefault(r.parent, []).append(r)
    out: list[Registration] = []

    def walk(parent: str | None) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: r.urn):
            out.append(r)
            walk(r.urn)

    walk(None)
    return out


def _variant(v: Variant, share: float) -> dict[str, Any]:
    hc = v.health_check
    return {
        "name": v.name,
        "weight": v.weight,
        "share": share,
        "control": v.control,
        "targetType": v.target_type,
        "port": v.port,
        "protocol": v.protocol,
        "targets": list(v.targets),
        "healthCheck": {
            "enabled": hc.enabled,
            "path": hc.path,
            "matcher": hc.matcher,
            "interval": hc.interval,
            "timeout": hc.timeout,
            "healthyThreshold": hc.healthy_threshold,
            "unhealthyThreshold": hc.unhealthy_threshold,
        },
        "rulePriority": v.rule_priority,
    }


def _resource(r: Registration) -> dict[str, Any]:
    return {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs}


# -- rendering ----------------------------------------------------------------------------------


def render_json(plan: Mapping[str, Any]) -> str:
    return json.dumps(plan, indent=2, sort_keys=True) + "\n"


def render_text(plan: Mapping[str, Any]) -> str:
    lines = [f"Offline plan for stack '{plan['stack']}' (project {plan['project']}): nothing was deployed.", ""]
    lines += ["Variants (share = 100 * weight / sum of weights, rounded half-up to 2 decimals)"]
    lines += table(
        ["VARIANT", "CONTROL", "WEIGHT", "SHARE", "TYPE", "PORT", "TARGETS", "HEALTH CHECK", "RULE PRIORITY"],
        [
            [
                v["name"],
                "yes" if v["control"] else "",
                str(v["weight"]),
                f"{v['share']:.2f}%",
                v["targetType"],
                "-" if v["port"] is None else f"{v['protocol']} {v['port']}",
                str(len(v["targets"])),
                _health(v["healthCheck"]),
                str(v["rulePriority"]),
            ]
            for v in plan["variants"]
        ],
    )
    resources = plan["resources"]
    lines += ["", f"Resources this program registers ({len(resources)}, parents before children, siblings by URN)"]
    lines += tree(resources)
    children = plan["awsxChildren"]
    if children:
        lines += ["", "Created by awsx components at deploy time (not registered by this program)"]
        for c in children:
            component = c["component"].rsplit("::", 1)[-1]
            lines.append(f"  {component} -> {c['type']} {c['name']}: {c['role']}")
    if plan["lookups"]:
        lines += ["", "Looked up at deploy time (placeholders offline)"]
        for lk in plan["lookups"]:
            lines.append(f"  {lk['token']} {json.dumps(lk['args'], sort_keys=True)}")
    lines += ["", "Stack outputs (placeholder values)"]
    for key in sorted(plan["outputs"]):
        value = plan["outputs"][key]
        if isinstance(value, dict):
            for sub in sorted(value):
                lines.append(f"  {key}.{sub}: {json.dumps(value[sub], sort_keys=True)}")
        else:
            lines.append(f"  {key}: {_scalar(value)}")
    return "\n".join(lines) + "\n"


def _scalar(value: object) -> str:
    """An output value as a user reads it: text as is, null as '-', numbers and booleans as JSON."""
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _health(hc: Mapping[str, Any]) -> str:
    if not hc["enabled"]:
        return "off"
    return (
        f"{hc['path']} -> {hc['matcher']} every {hc['interval']}s, timeout {hc['timeout']}s, "
        f"{hc['healthyThreshold']} up/{hc['unhealthyThreshold']} down"
    )


def tree(resources: Sequence[Mapping[str, Any]]) -> list[str]:
    children: dict[str | None, list[Mapping[str, Any]]] = {}
    for r in resources:
        children.setdefault(r["parent"], []).append(r)
    lines: list[str] = []

    def walk(parent: str | None, prefix: str) -> None:
        kids = children.get(parent, [])
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            branch = "" if parent is None else ("└─ " if last else "├─ ")
            lines.append(f"  {prefix}{branch}{r['type']}  {r['name']}")
            walk(r["urn"], prefix if parent is None else prefix + ("   " if last else "│  "))

    walk(None, "")
    return lines
