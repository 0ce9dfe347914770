"""Config keys, each declared once, next to the typed field it fills.

A field of a settings dataclass (in `ab_routing.model`) is declared with `key(...)`: its camelCase
name, its kind (type and allowed values), its default and a one-line description. From that one
declaration come

- the unknown-key check and its "did you mean" hint (`read_section` knows every key of a section),
- the per-key validation and its message (key path, value received, what is allowed),
- the default when the key is absent,
- README's config reference (`reference_markdown`; a test keeps README equal to it).

Hand-written code in `ab_routing.config` remains only for rules across keys (timeout < interval,
slow start only with round robin, keys not allowed for Lambda, HTTPS needs a certificate, ...).
A closed set of values is a `Literal` type on the field; `Choice()` reads the allowed values from it.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ab_routing.validate import MISSING, Checker, as_int, cidr_problem, join, show

T = TypeVar("T")

REQUIRED: Any = object()
"""Default of a key that must be given."""
INVALID: Any = object()
"""What a kind returns after recording a problem."""
METADATA = "ab-routing:key"


class Kind:
    """How one key's raw value (what YAML or the engine gives) becomes a typed value."""

    allowed: str = ""
    """What is allowed, in words; the README's 'allowed' column and the end of error messages."""

    def read(self, check: Checker, value: object, path: str) -> Any:
        """The typed value, or INVALID after recording a problem at `path`."""
        raise NotImplementedError

    def bind(self, annotation: object) -> Kind:
        """This kind, completed from the field's type annotation where it needs it (Choice)."""
        return self


@dataclass(frozen=True)
class Int(Kind):
    """An integer in lo..hi; with `zero_off`, also 0 meaning off. Integer-looking strings ("25") are
    accepted, as the Pulumi CLI may store them that way."""

    lo: int
    hi: int
    zero_off: bool = False
    unit: str = ""

    @property
    def allowed(self) -> str:  # type: ignore[override]
        unit = f" {self.unit}" if self.unit else ""
        if self.zero_off:
            return f"0 (off) or {self.lo}-{self.hi}{unit}"
        return f"{self.lo}-{self.hi}{unit}"

    def message(self) -> str:
        if self.zero_off:
            return f"must be 0 (off) or from {self.lo} to {self.hi}{' ' + self.unit if self.unit else ''}"
        return f"must be an integer from {self.lo} to {self.hi}"

    def read(self, check: Checker, value: object, path: str) -> Any:
        number = as_int(value)
        if number is None or not (self.lo <= number <= self.hi or (self.zero_off and number == 0)):
            if self.zero_off and number is not None and 0 <= number <= self.hi:
                check.fail(path, value, self.message())
            else:
                check.fail(path, value, f"must be an integer from {0 if self.zero_off else self.lo} to {self.hi}")
            return INVALID
        return number


@dataclass(frozen=True)
class IntChoice(Kind):
    """An integer from a fixed set AWS imposes (log retention days, Fargate CPU units), which no
    range describes. Integer-looking strings are accepted, as for `Int`."""

    values: tuple[int, ...]
    summary: str = ""
    """README's 'allowed' column, when listing every value would not help."""

    @property
    def allowed(self) -> str:  # type: ignore[override]
        return self.summary or ", ".join(map(str, self.values))

    def read(self, check: Checker, value: object, path: str) -> Any:
        number = as_int(value)
        if number is None or number not in self.values:
            check.fail(path, value, f"must be one of {', '.join(map(str, self.values))}")
            return INVALID
        return number


@dataclass(frozen=True)
class Number(Kind):
    """A number above `lo` (or from `lo`, when `closed`) and at most `hi`; numeric text is accepted."""

    lo: float
    hi: float
    what: str = ""
    closed: bool = False

    @property
    def allowed(self) -> str:  # type: ignore[override]
        low = f"{self.lo:g}-{self.hi:g}" if self.closed else f"above {self.lo:g}, at most {self.hi:g}"
        return f"{low}{' ' + self.what if self.what else ''}"

    def read(self, check: Checker, value: object, path: str) -> Any:
        number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else _float_text(value)
        if number is not None and (self.lo <= number if self.closed else self.lo < number) and number <= self.hi:
            return number
        what = f" ({self.what})" if self.what else ""
        if self.closed:
            check.fail(path, value, f"must be a number from {self.lo:g} to {self.hi:g}{what}")
        else:
            check.fail(path, value, f"must be a number above {self.lo:g} and at most {self.hi:g}{what}")
        return INVALID


@dataclass(frozen=True)
class Bool(Kind):
    allowed: str = "`true` \\| `false`"

    def read(self, check: Checker, value: object, path: str) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        check.fail(path, value, "must be true or false")
        return INVALID


@dataclass(frozen=True)
class Choice(Kind):
    """One of a closed set; by default the set is the field's `Literal` type."""

    options: tuple[str, ...] = ()
    message: str = ""
    """What an error says is allowed, when "must be one of ..." would not help."""
    summary: str = ""
    """README's 'allowed' column, when listing every option would not help."""

    @property
    def allowed(self) -> str:  # type: ignore[override]
        return self.summary or " \\| ".join(f"`{o}`" for o in self.options)

    def bind(self, annotation: object) -> Kind:
        if self.options:
            return self
        options = tuple(str(a) for a in _literal_values(annotation))
        if not options:
            raise TypeError(f"Choice() needs a Literal-typed field, got {annotation!r}")
        return dataclasses.replace(self, options=options)

    def read(self, check: Checker, value: object, path: str) -> Any:
        for option in self.options:
            if value == option:
                return option
        check.fail(path, value, self.message or f"must be one of {', '.join(self.options)}")
        return INVALID


@dataclass(frozen=True)
class Text(Kind):
    """A string matching `pattern` entirely; `message` says what is allowed when it does not."""

    pattern: re.Pattern[str]
    message: str
    allowed: str = ""
    digits_as_text: bool = False
    """Accept an unquoted number (`matcher: 200`) as its text, as AWS takes it."""

    def read(self, check: Checker, value: object, path: str) -> Any:
        if self.digits_as_text and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and self.pattern.fullmatch(value):
            return value
        check.fail(path, value, self.message)
        return INVALID


@dataclass(frozen=True)
class PortOrTraffic(Kind):
    """`traffic-port` or a port number (kept as an int, never re-parsed downstream)."""

    allowed: str = "`traffic-port` or 1-65535"

    def read(self, check: Checker, value: object, path: str) -> Any:
        if value == "traffic-port":
            return "traffic-port"
        number = as_int(value)
        if number is None or not 1 <= number <= 65535:
            check.fail(path, value, "must be traffic-port or an integer from 1 to 65535")
            return INVALID
        return number


@dataclass(frozen=True)
class TextList(Kind):
    """A list of distinct non-empty strings, each checked by `item` when given."""

    item: Text | None = None
    max_items: int | None = None
    allowed: str = "a list of strings"

    def read(self, check: Checker, value: object, path: str) -> Any:
        if value is None:
            return ()
        before = len(check.issues)
        items = check.string_list(value, path)
        good: list[str] = []
        for i, text in enumerate(items):
            if self.item is None or self.item.pattern.fullmatch(text):
                good.append(text)
            else:
                check.fail(join(path, i), text, self.item.message)
        check.duplicates(good, path)
        if self.max_items is not None and len(items) > self.max_items:
            check.fail(path, value, f"at most {self.max_items} entries")
        return tuple(good) if len(check.issues) == before else INVALID


@dataclass(frozen=True)
class Cidrs(Kind):
    """IPv4/IPv6 CIDR blocks, each listed once."""

    allowed: str = "IPv4/IPv6 CIDR blocks"

    def read(self, check: Checker, value: object, path: str) -> Any:
        if value is None:
            return ()
        before = len(check.issues)
        out: list[str] = []
        for i, item in enumerate(check.string_list(value, path)):
            problem = cidr_problem(item)
            if problem:
                check.fail(join(path, i), item, problem)
            else:
                out.append(item)
        check.duplicates(out, path)
        return tuple(out) if len(check.issues) == before else INVALID


@dataclass(frozen=True)
class Parsed(Kind):
    """A value read by a parse function that raises ValueError saying what was got and what is
    allowed (for values with their own syntax, e.g. durations `15m` or step lists)."""

    parse: Callable[[object], Any]
    allowed: str = ""

    def read(self, check: Checker, value: object, path: str) -> Any:
        try:
            return self.parse(value)
        except ValueError as problem:
            check.note(path, str(problem))
            return INVALID


@dataclass(frozen=True)
class Section(Kind):
    """A nested map read into another settings dataclass."""

    cls: type[Any]
    allowed: str = "a map (keys below)"

    def read(self, check: Checker, value: object, path: str) -> Any:
        result = read_section(check, self.cls, value, path)
        return INVALID if result.value is None else result.value


@dataclass(frozen=True)
class KeySpec:
    """One config key: everything about it, in one place."""

    name: str
    """camelCase, as written in `Pulumi.<stack>.yaml`."""
    kind: Kind
    default: Any
    """REQUIRED, or the value used when the key is absent."""
    doc: str
    """One line: what it does and why, for README."""
    default_doc: str | None = None
    """README's default column when the default depends on other keys (e.g. "15 (35 for lambda)")."""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def default_text(self) -> str:
        if self.default_doc is not None:
            return self.default_doc
        if self.required:
            return "required"
        if self.default is None or self.default == ():
            return "none"
        if isinstance(self.default, bool):
            return f"`{str(self.default).lower()}`"
        if isinstance(self.default, float) and self.default.is_integer():
            return f"`{int(self.default)}`"
        return f"`{self.default}`"


def key(
    name: str,
    kind: Kind,
    default: Any = REQUIRED,
    doc: str = "",
    *,
    default_doc: str | None = None,
) -> Any:
    """Declare a dataclass field as config key `name` (use as the field's default)."""
    spec = KeySpec(name=name, kind=kind, default=default, doc=doc, default_doc=default_doc)
    if default is REQUIRED:
        return dataclasses.field(metadata={METADATA: spec})
    if isinstance(default, list | dict | set):
        raise TypeError(f"key {name}: use a tuple or None as default, not {type(default).__name__}")
    return dataclasses.field(default=default, metadata={METADATA: spec})


@dataclass(frozen=True)
class Field:
    attribute: str
    spec: KeySpec


def fields_of(cls: type[Any]) -> list[Field]:
    """The declared keys of a settings dataclass, in declaration order, kinds bound to their types."""
    return list(_fields(cls))


def _fields(cls: type[Any]) -> Iterator[Field]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        spec = f.metadata.get(METADATA)
        if isinstance(spec, KeySpec):
            yield Field(f.name, dataclasses.replace(spec, kind=spec.kind.bind(hints[f.name])))


def key_names(cls: type[Any]) -> list[str]:
    return [f.spec.name for f in fields_of(cls)]


@dataclass(frozen=True)
class Read(Generic[T]):
    """A section as read: the typed value (None when a required key is missing or invalid) and the
    raw map, so cross-key rules can tell a given key from a defaulted one."""

    value: T | None
    raw: Mapping[str, object]

    def given(self, name: str) -> bool:
        return name in self.raw


def read_section(
    check: Checker,
    cls: type[T],
    value: object,
    path: str,
    *,
    defaults: Mapping[str, Any] | None = None,
    skip: Collection[str] = (),
    extra: Mapping[str, Any] | None = None,
    extra_keys: Sequence[str] = (),
) -> Read[T]:
    """Read map `value` at `path` into `cls`, recording every problem in `check`.

    `defaults` overrides declared defaults where they depend on other keys (by attribute name);
    `skip` names attributes the caller reads itself and passes in `extra`; `extra_keys` are keys the
    caller reads itself from the same map (accepted by the unknown-key check). Invalid values fall
    back to their default so that cross-key rules still run; the caller raises once at the end.
    """
    fields = fields_of(cls)
    raw = check.mapping(value, path, [f.spec.name for f in fields] + list(extra_keys))
    values: dict[str, Any] = dict(extra or {})
    complete = True
    for f in fields:
        if f.attribute in skip:
            continue
        default = (defaults or {}).get(f.attribute, f.spec.default)
        given = raw.get(f.spec.name, MISSING)
        if given is MISSING:
            if default is REQUIRED:
                check.fail(join(path, f.spec.name), MISSING, f"required: {_required_text(f.spec.kind)}")
                complete = False
                continue
            values[f.attribute] = default
            continue
        parsed = f.spec.kind.read(check, given, join(path, f.spec.name))
        if parsed is INVALID:
            if default is REQUIRED:
                complete = False
                continue
            parsed = default
        values[f.attribute] = parsed
    return Read(cls(**values) if complete else None, raw)


def _required_text(kind: Kind) -> str:
    if isinstance(kind, Int):
        return f"an integer from {kind.lo} to {kind.hi}"
    return kind.allowed or "a value"


def _literal_values(annotation: object) -> tuple[object, ...]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return args
    values: list[object] = []
    for arg in args:  # Literal[...] | None
        values.extend(_literal_values(arg))
    return tuple(values)


def _float_text(value: object) -> float | None:
    if isinstance(value, str) and re.fullmatch(r" *-?[0-9]+(?:\.[0-9]+)? *", value):
        return float(value.strip(" "))
    return None


# -- README reference ------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """One table of the config reference: a heading, the key prefix, and the section's class."""

    heading: str
    prefix: str
    cls: type[Any]
    intro: str = ""
    notes: Callable[[KeySpec], str] | None = None


def table_markdown(table: Table) -> str:
    lines = [f"#### {table.heading}", ""]
    if table.intro:
        lines += [table.intro, ""]
    lines += ["| key | default | allowed | description |", "|---|---|---|---|"]
    for f in fields_of(table.cls):
        allowed = f"see `{table.prefix}{f.spec.name}.*`" if isinstance(f.spec.kind, Section) else f.spec.kind.allowed
        lines.append(f"| `{table.prefix}{f.spec.name}` | {f.spec.default_text()} | {allowed} | {f.spec.doc} |")
    return "\n".join(lines) + "\n"


def describe(value: object) -> str:
    """A value as the user wrote it (re-exported for messages built outside a Kind)."""
    return show(value)
