"""Override rules: does each variant's header rule exist as configured, and can any rule before it
(a lower priority number) take the same requests first?

ALB evaluates rules by ascending priority and stops at the first match, so a rule added by hand or
by another stack with overlapping conditions silently disables an override (argo-rollouts #2902).
Two rules overlap when one request can satisfy both: every condition of the earlier rule must be
satisfiable together with the override rule's conditions. Header and host values use ALB's
wildcards (`*` any run, `?` one character) and match case-insensitively.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ab_routing.verify.forward import read_forward


@dataclass(frozen=True)
class ExpectedRule:
    variant: str
    priority: int
    header: str
    values: tuple[str, ...]
    source_cidrs: tuple[str, ...]
    target_group_arn: str


@dataclass(frozen=True)
class Rule:
    """A listener rule as DescribeRules gives it, reduced to what matching depends on."""

    arn: str
    priority: int
    conditions: tuple[tuple[str, str | None, tuple[str, ...]], ...]
    """(field, header or query key or None, values), one per condition."""
    targets: tuple[str, ...]
    """Target group ARNs the rule forwards to (empty for redirect/fixed-response)."""
    action: str
    """`forward`, or the non-forward action type(s)."""

    def header(self, name: str) -> tuple[str, ...] | None:
        found = [values for f, key, values in self.conditions if f == "http-header" and key and key.lower() == name.lower()]
        return found[0] if found else None

    def source_cidrs(self) -> tuple[str, ...]:
        return next((values for f, _, values in self.conditions if f == "source-ip"), ())

    def describe(self) -> str:
        parts = [f"{f}{'[' + key + ']' if key else ''}={'|'.join(values)}" for f, key, values in self.conditions]
        return f"priority {self.priority} ({', '.join(parts) or 'no conditions'})"


@dataclass(frozen=True)
class RuleDifference:
    variant: str
    item: str
    deployed: str
    expected: str


def parse_rules(raw: Sequence[Mapping[str, Any]]) -> list[Rule]:
    """Non-default rules from DescribeRules, by ascending priority."""
    rules: list[Rule] = []
    for r in raw:
        if r.get("IsDefault") or str(r.get("Priority")) == "default":
            continue
        conditions: list[tuple[str, str | None, tuple[str, ...]]] = []
        for c in r.get("Conditions") or []:
            field_name = str(c.get("Field"))
            if field_name == "http-header":
                cfg = c.get("HttpHeaderConfig") or {}
                conditions.append((field_name, str(cfg.get("HttpHeaderName", "")), tuple(cfg.get("Values") or ())))
            elif field_name == "source-ip":
                conditions.append((field_name, None, tuple((c.get("SourceIpConfig") or {}).get("Values") or ())))
            elif field_name == "query-string":
                pairs = (c.get("QueryStringConfig") or {}).get("Values") or []
                conditions.append((field_name, None, tuple(f"{p.get('Key') or ''}={p.get('Value', '')}" for p in pairs)))
            else:
                config_key = {
                    "host-header": "HostHeaderConfig",
                    "path-pattern": "PathPatternConfig",
                    "http-request-method": "HttpRequestMethodConfig",
                }.get(field_name, "")
                values = (c.get(config_key) or {}).get("Values") or c.get("Values") or ()
                conditions.append((field_name, None, tuple(values)))
        forward = read_forward(r.get("Actions") or [])
        rules.append(
            Rule(
                arn=str(r.get("RuleArn", "")),
                priority=int(r["Priority"]),
                conditions=tuple(conditions),
                targets=tuple(forward.weights),
                action="forward" if forward.other is None else forward.other,
            )
        )
    return sorted(rules, key=lambda rule: rule.priority)


def compare_rules(rules: Sequence[Rule], expected: Sequence[ExpectedRule]) -> list[RuleDifference]:
    """Each expected override rule against the listener's rules: missing, different, or shadowed."""
    out: list[RuleDifference] = []
    for want in expected:
        item = f"override rule {want.variant}"
        rule = _find(rules, want)
        if rule is None:
            out.append(RuleDifference(want.variant, item, "missing", f"priority {want.priority}, {want.header}: {want.variant}"))
            continue
        if rule.priority != want.priority:
            out.append(RuleDifference(want.variant, f"{item} priority", str(rule.priority), str(want.priority)))
        header = rule.header(want.header)
        if header is None:
            others = [key or "" for f, key, _ in rule.conditions if f == "http-header"]
            out.append(RuleDifference(want.variant, f"{item} header", ", ".join(others) or "no header condition", want.header))
        elif sorted(v.lower() for v in header) != sorted(v.lower() for v in want.values):
            out.append(RuleDifference(want.variant, f"{item} header values", ", ".join(header), ", ".join(want.values)))
        if _networks(rule.source_cidrs()) != _networks(want.source_cidrs):
            out.append(
                RuleDifference(
                    want.variant,
                    f"{item} source CIDRs",
                    ", ".join(rule.source_cidrs()) or "any source",
                    ", ".join(want.source_cidrs) or "any source",
                )
            )
        if rule.targets != (want.target_group_arn,):
            out.append(RuleDifference(want.variant, f"{item} target", ", ".join(rule.targets) or rule.action, want.target_group_arn))
        for earlier in rules:
            if earlier.priority >= rule.priority or earlier.arn == rule.arn:
                continue
            if earlier.targets == (want.target_group_arn,):
                continue  # sends the same requests to the same place: harmless
            if overlaps(earlier, rule):
                out.append(
                    RuleDifference(
                        want.variant,
                        f"{item} shadowed",
                        f"rule {earlier.describe()} -> {', '.join(earlier.targets) or earlier.action} matches first",
                        f"no rule before priority {rule.priority} matching the same requests",
                    )
                )
    return out


def _find(rules: Sequence[Rule], want: ExpectedRule) -> Rule | None:
    """The listener's rule for this override: the one forwarding to the variant's group with its
    header value, else any forwarding there, else whatever holds the expected priority."""
    to_group = [r for r in rules if r.targets == (want.target_group_arn,)]
    with_value = [r for r in to_group if any(v.lower() == want.variant.lower() for v in r.header(want.header) or ())]
    found = with_value or to_group or [r for r in rules if r.priority == want.priority]
    return found[0] if found else None


def overlaps(earlier: Rule, rule: Rule) -> bool:
    """Can one request satisfy both rules? True when every condition of `earlier` is satisfiable
    alongside `rule`'s condition on the same field (a field `rule` does not constrain always is)."""
    for field_name, key, values in earlier.conditions:
        mine = [v for f, k, v in rule.conditions if f == field_name and (k or "").lower() == (key or "").lower()]
        if not mine:
            continue
        for own in mine:
            if field_name == "source-ip":
                if not any(a.overlaps(b) for a in _networks(values) for b in _networks(own)):
                    return False
            elif field_name == "http-request-method":
                if not {v.upper() for v in values} & {v.upper() for v in own}:
                    return False
            elif field_name == "query-string":
                continue  # key/value wildcards: assume they can meet
            elif not any(_patterns_meet(a, b, case=field_name != "path-pattern") for a in values for b in own):
                return False
    return True


_WILD = re.compile(r"[*?]")


def _patterns_meet(a: str, b: str, *, case: bool) -> bool:
    """Can one string match both ALB patterns? Exact when at least one side has no wildcard;
    two wildcard patterns are assumed to meet (rare, and the safe answer for a shadowing check)."""
    if _WILD.search(a) and _WILD.search(b):
        return True
    pattern, literal = (a, b) if _WILD.search(a) else (b, a)
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, literal, flags=re.IGNORECASE | re.DOTALL if case else re.DOTALL) is not None


def _networks(cidrs: Sequence[str]) -> set[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out: set[ipaddress.IPv4Network | ipaddress.IPv6Network] = set()
    for cidr in cidrs:
        try:
            out.add(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue
    return out
