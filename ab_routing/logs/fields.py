"""The ALB access-log line: its fields in order, which are quoted, and one regex for a whole line.

AWS documents 30 fields up to `conn_trace_id` and appends new ones over time ("ignore any fields
you do not expect"). Lines are read into named string columns (plus spare columns for appended
fields); typing happens in SQL (`ab_routing.logs.query`) so a bad value costs one line, never a file.
"""

from __future__ import annotations

import re

FIELDS: tuple[str, ...] = (
    "type",
    "time",
    "elb",
    "client_port",
    "target_port",
    "request_processing_time",
    "target_processing_time",
    "response_processing_time",
    "elb_status_code",
    "target_status_code",
    "received_bytes",
    "sent_bytes",
    "request",
    "user_agent",
    "ssl_cipher",
    "ssl_protocol",
    "target_group_arn",
    "trace_id",
    "domain_name",
    "chosen_cert_arn",
    "matched_rule_priority",
    "request_creation_time",
    "actions_executed",
    "redirect_url",
    "error_reason",
    "target_port_list",
    "target_status_code_list",
    "classification",
    "classification_reason",
    "conn_trace_id",
)
"""The documented fields, in order (`client:port` and `target:port` renamed for SQL)."""

QUOTED: frozenset[str] = frozenset(
    {
        "request",
        "user_agent",
        "trace_id",
        "domain_name",
        "chosen_cert_arn",
        "actions_executed",
        "redirect_url",
        "error_reason",
        "target_port_list",
        "target_status_code_list",
        "classification",
        "classification_reason",
    }
)
"""Fields AWS writes in double quotes (a `"` inside is escaped with a backslash)."""

MIN_FIELDS = len(FIELDS)
"""A line with fewer fields was cut short (or predates `conn_trace_id`, 2024): counted as unparsed."""

SPARE_FIELDS = 6
"""Columns read beyond the documented ones, so lines with fields AWS appends later still parse
on the fast path (AWS added about one field every two years so far). A line with even more
fields is rejected by the fast reader and its file read line by line, which takes any number.
Each spare column costs every line: 20 of them made the 1 M-line benchmark about 10 % slower."""

EXTRA_COLUMNS: tuple[str, ...] = tuple(f"extra_{i}" for i in range(1, SPARE_FIELDS + 1))

_QUOTED_VALUE = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
_BARE_VALUE = r"([^ ]*)"

LINE_REGEX = "".join(
    [
        "^",
        " ".join(_QUOTED_VALUE if name in QUOTED else _BARE_VALUE for name in FIELDS),
        "( .*)?$",
    ]
)
"""One capture group per documented field, then an optional tail `( .*)?` holding any appended
fields. Java (Athena's RegexSerDe) and Python read it alike. Without the optional tail, AWS's
published regex matched nothing (all-NULL rows) each time AWS appended a field."""

LINE_PATTERN = re.compile(LINE_REGEX)

TAIL_FIELD = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[^ ]+')
"""One appended field in the tail: quoted or bare."""


def tail_field_count(tail: str | None) -> int:
    """How many appended fields the regex's tail group holds."""
    return len(TAIL_FIELD.findall(tail)) if tail else 0
