"""ALB access-log lines as AWS documents them, for the `logs` tests and the benchmark.

Field order and quoting follow the ELB guide ("Access log entries"): 30 fields up to
`conn_trace_id`, quoted fields in double quotes, a double quote inside a value escaped with a
backslash, and newer fields appended at the end (`transformed_host`, ...).
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from ab_routing.logs.query import RESULT_COLUMNS

ACCOUNT = "111122223333"
REGION = "us-east-1"
LB_SUFFIX = "app/ab-routing-4c1e2f0/50dc6c495c0c9188"
OTHER_LB_SUFFIX = "app/someone-else/0123456789abcdef"
TG_CHAMPION = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/champion-1a2b3c4/73e2d6bc24d8a067"
TG_CHALLENGER = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/challenger-5d6e7f8/8b3c0a1d2e4f5a67"
TG_UNKNOWN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/default-9f9f9f9/0000000000000001"
ROOT = Path(__file__).resolve().parent.parent
INSTANCE = "i-0123456789abcdef0"
LB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/{LB_SUFFIX}"
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Entry:
    """One request as the ALB logs it; `line()` renders it. Defaults: a 200 from the champion."""

    time: datetime = T0
    elb: str = LB_SUFFIX
    client: str = "203.0.113.7:51234"
    target: str = "10.0.1.15:8080"
    request_time: str = "0.000"
    target_time: str = "0.120"
    response_time: str = "0.000"
    elb_status: str = "200"
    target_status: str = "200"
    request: str = "POST https://models.example.com:443/invocations HTTP/1.1"
    user_agent: str = "python-requests/2.32.3"
    target_group: str = TG_CHAMPION
    priority: str = "0"
    actions: str = "forward"
    redirect_url: str = "-"
    error_reason: str = "-"
    extra: tuple[str, ...] = ()
    """Fields AWS may append later, already rendered (quoted or not)."""
    kind: str = "https"

    def line(self) -> str:
        def q(value: str) -> str:
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

        stamp = self.time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        fields = [
            self.kind,
            stamp,
            self.elb,
            self.client,
            self.target,
            self.request_time,
            self.target_time,
            self.response_time,
            self.elb_status,
            self.target_status,
            "412",
            "1187",
            q(self.request),
            q(self.user_agent),
            "TLS_AES_128_GCM_SHA256",
            "TLSv1.3",
            self.target_group,
            q("Root=1-58337262-36d228ad5d99923122bbe354"),
            q("models.example.com"),
            q(f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0f4e8a52-3c1b-4d6e-9a7f-2b5c8d1e6f90"),
            self.priority,
            (self.time - timedelta(milliseconds=150)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            q(self.actions),
            q(self.redirect_url),
            q(self.error_reason),
            q(self.target if self.target != "-" else "-"),
            q(self.target_status),
            q("-"),
            q("-"),
            "TID_1234abcd5678ef90",
            *self.extra,
        ]
        return " ".join(fields)


NEW_FIELDS = ('"-"', '"-"', '"-"')
"""`transformed_host`, `transformed_uri`, `request_transform_status` (appended by AWS in 2025)."""


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ok(variant_tg: str = TG_CHAMPION, seconds: float = 1, **kw: object) -> Entry:
    return replace(Entry(time=at(seconds), target_group=variant_tg), **kw)  # type: ignore[arg-type]


def elb_timeout(variant_tg: str, seconds: float = 1, **kw: object) -> Entry:
    """The model hung: the ALB answers 504 itself, no target status, target time -1."""
    return replace(
        Entry(time=at(seconds), target_group=variant_tg),
        target_time="-1",
        response_time="-1",
        elb_status="504",
        target_status="-",
        error_reason="TargetResponseTimeout",
        **kw,  # type: ignore[arg-type]
    )


def redirect(seconds: float = 1) -> Entry:
    """Port 80 -> 443: answered by the listener's redirect action, no target group."""
    return Entry(
        time=at(seconds),
        kind="http",
        target="-",
        request_time="-1",
        target_time="-1",
        response_time="-1",
        elb_status="301",
        target_status="-",
        target_group="-",
        actions="redirect",
        redirect_url="https://models.example.com:443/invocations",
    )


def write_log(path: Path, lines: list[str], *, compress: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data, compresslevel=1) if compress else data)
    return path


def log_key(prefix: str, end: datetime, lb: str = LB_SUFFIX, node: str = "10.0.0.5", tail: str = "3m2x9k1q") -> str:
    """The S3 key AWS gives a log file delivered at `end` (the file name carries the load balancer's id)."""
    head = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    name = f"{ACCOUNT}_elasticloadbalancing_{REGION}_{lb.replace('/', '.')}_{end:%Y%m%dT%H%MZ}_{node}_{tail}.log.gz"
    return f"{head}AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/{end:%Y/%m/%d}/{name}"


def outputs_document(bucket: str | None = "ab-routing-logs-0a1b2c") -> dict[str, object]:
    """Stack outputs as `pulumi stack output --json` prints them for the two-variant dev stack."""
    return {
        "loadBalancerArn": LB_ARN,
        "loadBalancerArnSuffix": LB_SUFFIX,
        "accessLogsBucket": bucket,
        "variants": {
            "champion": {"targetGroupArn": TG_CHAMPION, "targetGroupArnSuffix": TG_CHAMPION.split(":")[-1], "weight": 90},
            "challenger": {"targetGroupArn": TG_CHALLENGER, "targetGroupArnSuffix": TG_CHALLENGER.split(":")[-1], "weight": 10},
        },
    }


def realistic_lines(n: int, seed: int = 7, start: datetime = T0, seconds: int = 3600, malformed: int = 0) -> list[str]:
    """`n` lines over `seconds`: a 90/10 split, ~1 % target 5xx, ~0.3 % ELB 504, some override
    requests, some redirects, ~5 % with appended fields, and `malformed` lines cut short."""
    rng = random.Random(seed)
    out: list[str] = []
    agents = ["python-requests/2.32.3", 'Mozilla/5.0 (X11; Linux x86_64) "quoted" build', "Go-http-client/2.0", "curl/8.5.0"]
    for i in range(n):
        t = start + timedelta(microseconds=int(i * seconds * 1_000_000 / n))
        roll = rng.random()
        tg = TG_CHALLENGER if rng.random() < 0.1 else TG_CHAMPION
        client = f"198.51.{rng.randrange(100)}.{rng.randrange(256)}:{rng.randrange(1024, 65535)}"
        if roll < 0.003:
            e = elb_timeout(tg, 0, time=t, client=client)
        elif roll < 0.005:
            e = replace(redirect(0), time=t, client=client)
        elif roll < 0.015:
            e = Entry(time=t, target_group=tg, client=client, elb_status="500", target_status="500", target_time="0.031")
        elif roll < 0.02:
            e = Entry(time=t, target_group=tg, client=client, priority="7", target_time=f"{rng.expovariate(10):.3f}")
        else:
            e = Entry(time=t, target_group=tg, client=client, target_time=f"{rng.expovariate(8):.3f}", user_agent=rng.choice(agents))
        if rng.random() < 0.05:
            e = replace(e, extra=NEW_FIELDS)
        out.append(e.line())
    for i in rng.sample(range(n), min(malformed, n)):
        out[i] = out[i][: rng.randrange(40, len(out[i]) - 40)]
    return out


def write_stack(project: Path, access_logs: dict[str, Any] | None = None, **extra: Any) -> None:
    """Pulumi.yaml and Pulumi.dev.yaml of the two-variant stack (champion is the control); `extra`: more
    `ab-routing:` keys, e.g. experiment={...}."""
    (project / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    config: dict[str, Any] = {
        "aws:region": REGION,
        "ab-routing:variants": {
            "champion": {"weight": 90, "targets": [INSTANCE], "control": True},
            "challenger": {"weight": 10, "targets": [INSTANCE]},
        },
    }
    if access_logs is not None:
        config["ab-routing:accessLogs"] = access_logs
    config.update({f"ab-routing:{key}": value for key, value in extra.items()})
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}))


class ScriptedAthena:
    """Athena as its API answers: queued, running, succeeded; results in pages of `page_size` rows."""

    def __init__(self, rows: list[dict[str, Any]], page_size: int = 2) -> None:
        self.page_size = page_size
        self.states = ["QUEUED", "RUNNING", "SUCCEEDED"]
        self.rows = rows
        self.calls: list[str] = []

    def start_query_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append("start")
        assert kwargs["WorkGroup"] == "wg" and "GROUPING SETS" in kwargs["QueryString"]
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, **kwargs: Any) -> dict[str, Any]:
        state = self.states.pop(0)
        return {"QueryExecution": {"Status": {"State": state}, "Statistics": {"DataScannedInBytes": 2_000_000}}}

    def get_query_results(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs.get("NextToken", "first"))
        header = [{"Data": [{"VarCharValue": c} for c in RESULT_COLUMNS]}]
        data = [
            {
                "Data": [
                    {} if row[c] is None else {"VarCharValue": str(row[c]).lower() if isinstance(row[c], bool) else str(row[c])}
                    for c in RESULT_COLUMNS
                ]
            }
            for row in self.rows
        ]
        page = int(kwargs.get("NextToken", "0"))
        size = self.page_size
        chunk = (header if page == 0 else []) + data[page * size : page * size + size]
        more = (page + 1) * size < len(data)
        return {"ResultSet": {"Rows": chunk}, **({"NextToken": str(page + 1)} if more else {})}
