"""YAML read the way Pulumi reads stack files: Go's gopkg.in/yaml.v3, decoding into `interface{}`.

Pulumi (sdk/go/common/encoding/marshal.go) unmarshals `Pulumi.<stack>.yaml` with yaml.v3, and each
config value goes through `any` (sdk/go/common/resource/config/object.go) before the engine hands
it to the program as a string. yaml.v3 resolves plain scalars by its own rules (resolve.go), which
match neither YAML 1.1 loaders (PyYAML: `yes`/`on` are booleans, timestamps are datetimes) nor YAML
1.2 ones (ruamel.yaml: `0755` is 755). If the plan read the file differently from `pulumi up`, the
two would accept and reject different files.

So: PyYAML's parser builds the node tree (it is a port of libyaml, as is yaml.v3's parser), no
PyYAML resolution or construction is used, and `decode` resolves every scalar exactly as yaml.v3's
`resolve()` does:

- `true`/`True`/`TRUE`, `false`/`False`/`FALSE` are booleans; `yes`, `no`, `on`, `off`, `y`, `n` stay strings;
- ``, `~`, `null`/`Null`/`NULL` are null;
- integers after removing every `_`, parsed like Go's `strconv.ParseInt(s, 0, 64)`: `1_000` is 1000,
  `0755` and `0o755` are octal (493), `0x1F` hex, `0b101` binary, `+1` is 1; too big for int64 but
  within uint64 still an integer; a `0b`/`0o` prefix followed by a sign is read as signed (yaml.v3's
  quirk: `0b-101` is -5);
- floats matching `[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?`, or starting with `.`;
  `.inf`/`-.inf`/`.nan` (three spellings each); out of float64's range: a string;
- `YYYY-M-D`, `YYYY-M-DTh:m:s[.frac](Z|±hh:mm)` (also `t`) and `YYYY-M-D h:m:s[.frac]` are timestamps,
  which Pulumi then turns into Go's `time.Time.String()` text (`2001-12-14 00:00:00 +0000 UTC`);
- anything else, and every quoted or block scalar, is a string; explicit tags (`!!str 0755`,
  `!!int "10"`, `!!binary`) are honoured as yaml.v3 honours them.

Duplicate keys are errors, as in yaml.v3 ("mapping key already defined"); merge keys (`<<`) merge,
the mapping's own keys winning. Errors carry the 1-based line.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

LONG_PREFIX = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, BINARY, MERGE = (
    "!!str",
    "!!int",
    "!!float",
    "!!bool",
    "!!null",
    "!!timestamp",
    "!!binary",
    "!!merge",
)
RESOLVABLE = ("", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP)
INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1

RESOLVE_MAP: dict[str, tuple[str, object]] = {}
for _tag, _value, _spellings in (
    (BOOL, True, ("true", "True", "TRUE")),
    (BOOL, False, ("false", "False", "FALSE")),
    (NULL, None, ("", "~", "null", "Null", "NULL")),
    (FLOAT, math.nan, (".nan", ".NaN", ".NAN")),
    (FLOAT, math.inf, (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")),
    (FLOAT, -math.inf, ("-.inf", "-.Inf", "-.INF")),
    (MERGE, "<<", ("<<",)),
):
    for _spelling in _spellings:
        RESOLVE_MAP[_spelling] = (_tag, _value)

YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
GO_DOT_FLOAT = re.compile(r"\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?")
"""What Go's strconv.ParseFloat accepts for a text starting with '.' (underscores between digits)."""
DIGITS = {2: re.compile(r"[01]+"), 8: re.compile(r"[0-7]+"), 10: re.compile(r"[0-9]+"), 16: re.compile(r"[0-9a-fA-F]+")}
DATE = r"([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)"
CLOCK = r"([0-9][0-9]?):([0-9][0-9]?):([0-9][0-9]?)(?:[.,]([0-9]+))?"
ZONE = r"(Z|[-+][0-9][0-9]:[0-9][0-9])"
TIMESTAMP_FORMATS = (
    re.compile(f"{DATE}T{CLOCK}{ZONE}"),
    re.compile(f"{DATE}t{CLOCK}{ZONE}"),
    re.compile(f"{DATE} +{CLOCK}"),
    re.compile(DATE),
)
"""yaml.v3's allowedTimestampFormats as Go's time.Parse reads them (1- or 2-digit fields; a space
in the layout matches one or more spaces)."""


class GoYamlError(Exception):
    """A document yaml.v3 (or Pulumi after it) would refuse; `line` is 1-based, 0 when unknown."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class GoTime:
    """A resolved timestamp; Pulumi stores it as `text`, Go's `time.Time.String()`."""

    text: str


# -- parsing -------------------------------------------------------------------------------------


class _TaggedScalar(ScalarNode):
    """A scalar node that remembers its explicit tag (None, '!' or a long tag) and whether it was plain."""

    def __init__(self, explicit: str | None, value: str, start_mark: Any, end_mark: Any, style: str | None) -> None:
        super().__init__(explicit or "", value, start_mark, end_mark, style=style)
        self.explicit = explicit
        self.plain = style is None


class _Loader(Reader, Scanner, Parser, Composer, BaseResolver):
    """PyYAML's reader, scanner, parser and composer; scalars keep their explicit tag and style, and
    no YAML 1.1 resolution happens."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)

    def compose_scalar_node(self, anchor: Any) -> ScalarNode:
        event: Any = self.get_event()
        node = _TaggedScalar(event.tag, event.value, event.start_mark, event.end_mark, event.style)
        if anchor is not None:
            self.anchors[anchor] = node
        return node


def compose(text: str) -> Node | None:
    """The first document's node tree, or None for an empty document. Raises GoYamlError."""
    loader = _Loader(text)
    try:
        return loader.get_node() if loader.check_node() else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise GoYamlError(problem or str(exc), line) from None
    except yaml.YAMLError as exc:
        raise GoYamlError(str(exc)) from None
    finally:
        loader.dispose()


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


# -- decoding into interface{} -------------------------------------------------------------------


def short_tag(tag: str) -> str:
    return "!!" + tag[len(LONG_PREFIX) :] if tag.startswith(LONG_PREFIX) else tag


def decode(node: Node) -> object:
    """What yaml.v3 decodes `node` to in an `interface{}`: None, bool, int, float, str, GoTime,
    list, or dict with string keys (non-string keys as Go's `%v` prints them, as Pulumi does)."""
    if isinstance(node, _TaggedScalar):
        return scalar(node)[1]
    if isinstance(node, SequenceNode):
        return [decode(item) for item in node.value]
    if isinstance(node, MappingNode):
        return _mapping(node)
    raise GoYamlError(f"unexpected node {type(node).__name__}", line_of(node))


def scalar(node: _TaggedScalar) -> tuple[str, object]:
    """(short tag, value) of a scalar node, as yaml.v3's decoder resolves it."""
    explicit = node.explicit
    if explicit in (None, "!"):
        if explicit == "!" or not node.plain:
            return STR, node.value
        return resolve("", node.value, line_of(node))
    tag = short_tag(explicit)
    if tag == STR:
        return STR, node.value
    if tag == BINARY:
        try:
            data = base64.b64decode(node.value.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError):
            raise GoYamlError("!!binary value contains invalid base64 data", line_of(node)) from None
        return STR, data.decode("utf-8", errors="replace")
    return resolve(tag, node.value, line_of(node))


def _is_merge(node: Node) -> bool:
    return (
        isinstance(node, _TaggedScalar)
        and node.value == "<<"
        and node.plain
        and (node.explicit in (None, "!") or short_tag(node.explicit or "") == MERGE)
    )


def _mapping(node: MappingNode) -> dict[str, object]:
    pairs: list[tuple[Node, Node]] = list(node.value)
    for i, (key, _) in enumerate(pairs):
        for other, _ in pairs[i + 1 :]:
            if type(key) is type(other) and isinstance(key, ScalarNode) and key.value == other.value:
                raise GoYamlError(
                    f'mapping key "{other.value}" already defined at line {line_of(key)}',
                    line_of(other),
                )
    out: dict[str, object] = {}
    origin: dict[str, str] = {}
    merges: list[Node] = []
    for key, value in pairs:
        if _is_merge(key):
            merges.append(value)
            continue
        out[_key(key, origin)] = decode(value)
    for merge in merges:
        sources = merge.value if isinstance(merge, SequenceNode) else [merge]
        for source in sources:
            if not isinstance(source, MappingNode):
                raise GoYamlError("map merge requires map or sequence of maps as the value", line_of(merge))
            merged = _mapping(source)
            for name, item in merged.items():
                out.setdefault(name, item)
    return out


def _key(key: Node, origin: dict[str, str]) -> str:
    """A map key as Pulumi names it: a string as is, anything else as Go's `%v` prints it. Two keys
    naming the same string would leave Pulumi's choice to Go's random map order: an error here."""
    if not isinstance(key, _TaggedScalar):
        raise GoYamlError("invalid map key: a mapping or sequence cannot be a key", line_of(key))
    tag, resolved = scalar(key)
    name = resolved if tag == STR and isinstance(resolved, str) else go_sprint(resolved)
    if name in origin:
        raise GoYamlError(f"mapping keys {origin[name]!r} and {key.value!r} both read as {name!r}; keep one", line_of(key))
    origin[name] = key.value
    return name


def resolve(tag: str, text: str, line: int) -> tuple[str, object]:
    """yaml.v3's resolve(): the tag and value of a plain scalar (`tag` ""), or of one explicitly
    tagged `tag`; raises GoYamlError when the explicit tag does not fit, as yaml.v3 does."""
    if tag not in RESOLVABLE:
        return tag, text
    rtag, value = _resolve_plain(text, tag)
    if tag in ("", rtag, STR):
        return rtag, value
    if tag == FLOAT and rtag == INT and isinstance(value, int):
        return FLOAT, float(value)
    raise GoYamlError(f"cannot decode {rtag} `{text}` as a {tag}", line)


def _resolve_plain(text: str, tag: str) -> tuple[str, object]:
    hint = _hint(text)
    if hint is None or tag == STR:
        return STR, text
    if text in RESOLVE_MAP:
        return RESOLVE_MAP[text]
    if hint == ".":
        if GO_DOT_FLOAT.fullmatch(text):
            value = float(text.replace("_", ""))
            if not math.isinf(value):
                return FLOAT, value
        return STR, text
    if hint in ("D", "S"):
        if tag in ("", TIMESTAMP):
            stamp = parse_timestamp(text)
            if stamp is not None:
                return TIMESTAMP, stamp
        plain = text.replace("_", "")
        number = go_parse_int(plain, 0)
        if number is not None and INT64_MIN <= number <= INT64_MAX:
            return INT, number
        number = go_parse_uint(plain, 0)
        if number is not None and number <= UINT64_MAX:
            return INT, number
        if YAML_STYLE_FLOAT.fullmatch(plain):
            value = float(plain)
            if not math.isinf(value):
                return FLOAT, value
        for prefix, base in (("0b", 2), ("0o", 8)):
            if plain.startswith(prefix):
                number = go_parse_int(plain[2:], base)
                if number is not None and INT64_MIN <= number <= INT64_MAX:
                    return INT, number
                number = go_parse_uint(plain[2:], base)
                if number is not None and number <= UINT64_MAX:
                    return INT, number
            elif plain.startswith("-" + prefix):
                number = go_parse_int("-" + plain[3:], base)
                if number is not None and INT64_MIN <= number <= INT64_MAX:
                    return INT, number
    return STR, text


def _hint(text: str) -> str | None:
    if text == "":
        return "N"
    first = text[0]
    if first in "+-":
        return "S"
    if first.isascii() and first.isdigit():
        return "D"
    if first in "yYnNtTfFoO~":
        return "M"
    if first == ".":
        return "."
    return None


def go_parse_uint(s: str, base: int) -> int | None:
    """strconv.ParseUint's syntax (base 0: 0b/0o/0x prefixes, a leading 0 is octal); the value
    unbounded (callers check the range), or None for a syntax error."""
    if s == "":
        return None
    if base == 0:
        base = 10
        if s[0] == "0":
            if len(s) >= 3 and s[1].lower() in "box":
                base, s = {"b": 2, "o": 8, "x": 16}[s[1].lower()], s[2:]
            else:
                base, s = 8, s[1:]
                if s == "":
                    return 0
    if not DIGITS[base].fullmatch(s):
        return None
    return int(s, base)


def go_parse_int(s: str, base: int) -> int | None:
    """strconv.ParseInt's syntax: one optional sign, then ParseUint's."""
    negative = s[:1] == "-"
    if s[:1] in ("+", "-"):
        s = s[1:]
    magnitude = go_parse_uint(s, base)
    if magnitude is None:
        return None
    return -magnitude if negative else magnitude


# -- timestamps ----------------------------------------------------------------------------------


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_timestamp(text: str) -> GoTime | None:
    """yaml.v3's parseTimestamp with Go's time.Parse rules, as Go's `Time.String()` text."""
    if not re.match(r"[0-9]{4}-", text):
        return None
    for pattern in TIMESTAMP_FORMATS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        groups = match.groups()
        year, month, day = (int(g) for g in groups[:3])
        hour, minute, second = (int(g) if g else 0 for g in groups[3:6]) if len(groups) > 3 else (0, 0, 0)
        fraction = (groups[6] or "") if len(groups) > 6 else ""
        zone = groups[7] if len(groups) > 7 else "Z"
        if not (1 <= month <= 12 and 1 <= day <= _days_in(month, year) and hour < 24 and minute < 60 and second < 60):
            return None
        offset_text, name = "+0000", "UTC"
        if zone != "Z":
            hours, minutes = int(zone[1:3]), int(zone[4:6])
            if hours > 24 or minutes > 60:
                return None
            if hours or minutes:
                offset_text = f"{zone[0]}{hours:02d}{minutes:02d}"
                name = offset_text
        nanos = (fraction[:9]).ljust(9, "0").rstrip("0")
        clock = f"{hour:02d}:{minute:02d}:{second:02d}" + (f".{nanos}" if nanos else "")
        return GoTime(f"{year:04d}-{month:02d}-{day:02d} {clock} {offset_text} {name}")
    return None


# -- Go's formatting -----------------------------------------------------------------------------


def _digits(value: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of |value| and the decimal point's position (Go's and
    Python's shortest representations agree)."""
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)) or "0"
    return text, len(text) + exponent


def _format_e(negative: bool, digits: str, point: int) -> str:
    exponent = point - 1 if digits != "0" else 0
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{'-' if negative else ''}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def _format_f(negative: bool, digits: str, point: int) -> str:
    if digits == "0":
        body = "0"
    elif point <= 0:
        body = "0." + "0" * -point + digits
    elif point >= len(digits):
        body = digits + "0" * (point - len(digits))
    else:
        body = digits[:point] + "." + digits[point:]
    return ("-" if negative else "") + body


def go_json_float(value: float) -> str:
    """Go's encoding/json text for a float64 (ES6 style: 'f' between 1e-6 and 1e21, else 'e')."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"json: unsupported value: {go_sprint(value)}")
    negative = math.copysign(1.0, value) < 0
    digits, point = _digits(value)
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = _format_e(negative, digits, point)
        return re.sub(r"e-0(\d)$", r"e-\1", text)
    return _format_f(negative, digits, point)


def go_sprint(value: object) -> str:
    """Go's fmt `%v` of a decoded value (how Pulumi names non-string map keys)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
        negative = math.copysign(1.0, value) < 0
        digits, point = _digits(value)
        exponent = point - 1
        if digits != "0" and (exponent < -4 or exponent >= 6):
            return _format_e(negative, digits, point)
        return _format_f(negative, digits, point)
    if isinstance(value, GoTime):
        return value.text
    return str(value)


def go_json(value: object) -> str:
    """Go's json.Marshal of a decoded value: map keys sorted, no spaces, <>& escaped, Go's floats.
    GoTime is its text (Pulumi converts it to a string before marshalling)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_json_float(value)
    if isinstance(value, GoTime):
        return _go_json_string(value.text)
    if isinstance(value, str):
        return _go_json_string(value)
    if isinstance(value, list):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]).encode())
        return "{" + ",".join(f"{_go_json_string(str(k))}:{go_json(v)}" for k, v in items) + "}"
    raise TypeError(f"not a decoded YAML value: {value!r}")


def _go_json_string(text: str) -> str:
    import json

    encoded = json.dumps(text, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        encoded = encoded.replace(char, escape)
    return encoded
