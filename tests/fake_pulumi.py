"""A stand-in for the `pulumi` CLI with just the calls the rollout commands make.

`whoami`, `stack output --json --stack S` and `up --yes --stack S`. `up` reads `Pulumi.<S>.yaml`
from the working directory and applies its weights and stickiness to the listener in moto's ELBv2
(ModifyListener over HTTP at the endpoint named in `fake-pulumi.json`), unless that file says to
fail or to drift. Every call is appended to `pulumi-calls.jsonl`. Standard library and PyYAML only,
so the test writes this file's text as an executable and also calls `main` in-process.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

BEHAVIOUR = "fake-pulumi.json"
CALLS = "pulumi-calls.jsonl"
REGION_SEEN = "pulumi-up-region.txt"
"""AWS_REGION as the last `up` saw it."""
AUTH = "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0"


def modify_listener(endpoint: str, listener: str, groups: list[tuple[str, int]], sticky: bool, duration: int) -> None:
    prefix = "DefaultActions.member.1"
    params = {"Action": "ModifyListener", "Version": "2015-12-01", "ListenerArn": listener, f"{prefix}.Type": "forward"}
    for i, (arn, weight) in enumerate(groups, 1):
        params[f"{prefix}.ForwardConfig.TargetGroups.member.{i}.TargetGroupArn"] = arn
        params[f"{prefix}.ForwardConfig.TargetGroups.member.{i}.Weight"] = str(weight)
    params[f"{prefix}.ForwardConfig.TargetGroupStickinessConfig.Enabled"] = "true" if sticky else "false"
    params[f"{prefix}.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds"] = str(duration)
    request = urllib.request.Request(
        endpoint.rstrip("/") + "/",
        data=urllib.parse.urlencode(params).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": AUTH},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def main(argv: list[str], cwd: Path, out=None) -> int:
    out = out or sys.stdout
    behaviour = json.loads((cwd / BEHAVIOUR).read_text())
    with (cwd / CALLS).open("a") as log:
        log.write(json.dumps(argv) + "\n")
    if argv[:1] == ["whoami"]:
        if behaviour.get("notLoggedIn"):
            print("error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions", file=sys.stderr)
            return 255
        print("tester", file=out)
        return 0
    if argv[:3] == ["stack", "output", "--json"]:
        print(json.dumps(behaviour["outputs"]), file=out)
        return 0
    if argv[:2] == ["up", "--yes"] and "--stack" in argv:
        stack = argv[argv.index("--stack") + 1]
        print(f"Updating ({stack})", file=out)
        (cwd / REGION_SEEN).write_text(os.environ.get("AWS_REGION", ""))
        if behaviour.get("failUp"):
            print("error: update failed: AccessDenied: not authorized to perform elasticloadbalancing:ModifyListener", file=out)
            return 255
        config = yaml.safe_load((cwd / f"Pulumi.{stack}.yaml").read_text())["config"]
        variants = config["ab-routing:variants"]
        stickiness = config.get("ab-routing:stickiness") or {}
        weights = {name: int(v["weight"]) for name, v in variants.items()}
        weights.update(behaviour.get("drift") or {})
        arns = {name: v["targetGroupArn"] for name, v in behaviour["outputs"]["variants"].items()}
        modify_listener(
            behaviour["endpoint"],
            behaviour["outputs"]["listenerArn"],
            [(arns[name], weights[name]) for name in sorted(weights)],
            bool(stickiness.get("enabled", True)),
            int(stickiness.get("duration", 3600)),
        )
        print("    ~ aws:lb/listener:Listener ab-routing-0 updated", file=out)
        print("Resources:\n    ~ 1 updated", file=out)
        return 0
    print(f"fake pulumi: unsupported call {argv}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], Path.cwd()))
