"""Pure argument builders for the Athena resources over the ALB access logs (no registration).

The Glue table reads the log prefix with a RegexSerDe (`fields.LINE_REGEX`: one group per field,
ending in an optional tail `( .*)?`, so lines with fields AWS appends later still match) and finds
the day folders by partition projection (`day` = `yyyy/MM/dd`), so no crawler or `MSCK REPAIR`.
"""

from __future__ import annotations

import re

from ab_routing.logs.fields import FIELDS, LINE_REGEX

TABLE_NAME = "alb_access_logs"
TAIL_COLUMN = "extra_fields"
"""The regex's last group: every field appended after `conn_trace_id`, as one string."""
PROJECTION_START = "2020/01/01"
DEFAULT_BYTES_SCANNED_CUTOFF = 10 * 1024**3
"""10 GiB per query (Athena's minimum is 10 MiB): a mistaken query over years of logs stops there."""
MIN_BYTES_SCANNED_CUTOFF = 10 * 1024**2
RESULTS_PREFIX = "athena-results"


def glue_name(*parts: str) -> str:
    """Lowercase letters, digits and underscores (Glue and Athena names), from any project/stack text."""
    text = "_".join(parts).lower()
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", text)).strip("_")[:255]


def logs_location(bucket: str, prefix: str, account_id: str, region: str) -> str:
    head = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    return f"s3://{bucket}/{head}AWSLogs/{account_id}/elasticloadbalancing/{region}/"


def results_location(bucket: str, prefix: str) -> str:
    """Outside `AWSLogs/` so query results never land in the table's location."""
    head = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    return f"s3://{bucket}/{head}{RESULTS_PREFIX}/"


def table_columns() -> list[dict[str, str]]:
    """One string column per regex group, in order (the SerDe maps groups to columns by position)."""
    return [{"name": name, "type": "string"} for name in (*FIELDS, TAIL_COLUMN)]


def table_parameters(location: str) -> dict[str, str]:
    return {
        "EXTERNAL": "TRUE",
        "projection.enabled": "true",
        "projection.day.type": "date",
        "projection.day.format": "yyyy/MM/dd",
        "projection.day.range": f"{PROJECTION_START},NOW",
        "projection.day.interval": "1",
        "projection.day.interval.unit": "DAYS",
        "storage.location.template": location + "${day}",
    }


def serde_parameters() -> dict[str, str]:
    return {"serialization.format": "1", "input.regex": LINE_REGEX}


def check_cutoff(value: int) -> int:
    if value < MIN_BYTES_SCANNED_CUTOFF:
        raise ValueError(f"bytes scanned cutoff: got {value}; Athena requires at least {MIN_BYTES_SCANNED_CUTOFF} (10 MiB)")
    return value
