"""Stack files are read as Pulumi reads them (Go's yaml.v3), through the plan command.

Each form is one the old PyYAML (YAML 1.1) reader, or a YAML 1.2 reader such as ruamel.yaml, reads
differently from `pulumi up`. Most cases are made invalid on purpose so the plan stops at validation
and its message shows the value the program received, without running the program.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ab_routing.__main__ import main
from ab_routing.goyaml import GoTime, GoYamlError, compose, decode, go_json, go_sprint
from ab_routing.stackfiles import read_stack

ROOT = Path(__file__).resolve().parent.parent

STACK = """\
config:
  aws:region: us-east-1
  ab-routing:variants:
    champion:
      weight: {weight}
      targets: [i-0123456789abcdef0]
      control: {control}
    challenger:
      weight: 10
      targets: [i-0aaaaaaaaaaaaaaa1]
  ab-routing:overrideHeader: {header}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    return tmp_path


def plan(project: Path, capsys: pytest.CaptureFixture[str], text: str, *flags: str) -> tuple[int, str, str]:
    (project / "Pulumi.t.yaml").write_text(text)
    code = main(["plan", "--stack", "t", "--dir", str(project), *flags])
    out, err = capsys.readouterr()
    return code, out, err


def stack(weight: str = "90", control: str = "true", header: str = "X-Model-Variant") -> str:
    return STACK.format(weight=weight, control=control, header=header)


@pytest.mark.parametrize(
    ("weight", "received"),
    [
        ("01750", "1000"),  # YAML 1.1 octal kept by yaml.v3 (ruamel.yaml reads 1750)
        ("0o1750", "1000"),  # YAML 1.2 octal (PyYAML reads the string '0o1750')
        ("1_000", "1000"),  # every underscore dropped
        ("0x3E8", "1000"),
        ("0b1111101000", "1000"),
        ("+1000", "1000"),
        ("1e3", "1000"),  # a float; Pulumi stores JSON 1000 (PyYAML: the string '1e3')
        ("1000.0", "1000"),  # a float the program receives as the integer 1000 (PyYAML: 1000.0)
        ("0b-1111101000", "-1000"),  # yaml.v3's quirk: a sign after 0b
        ('"1e3"', '"1e3"'),  # quoted: a string
        ("!!str 1e3", '"1e3"'),  # explicit tag: a string
        ("'01750'", '"01750"'),
    ],
)
def test_numbers_resolve_as_yaml_v3_does(project: Path, capsys: pytest.CaptureFixture[str], weight: str, received: str) -> None:
    code, out, err = plan(project, capsys, stack(weight=weight))
    assert code == 2 and out == ""
    assert f"variants.champion.weight: got {received}; must be an integer from 0 to 999" in err


@pytest.mark.parametrize("spelling", ["yes", "on", "y", "Yes", "off", "no", "n", "NO"])
def test_yaml_1_1_booleans_stay_strings(project: Path, capsys: pytest.CaptureFixture[str], spelling: str) -> None:
    code, _, err = plan(project, capsys, stack(control=spelling))
    assert code == 2
    assert f'variants.champion.control: got "{spelling}"; must be true or false' in err


@pytest.mark.parametrize("spelling", ["~", "null", "Null", "NULL", ""])
def test_null_forms(project: Path, capsys: pytest.CaptureFixture[str], spelling: str) -> None:
    code, _, err = plan(project, capsys, stack(weight=spelling))
    assert code == 2
    assert "variants.champion.weight: got null; must be an integer from 0 to 999" in err


def test_unquoted_timestamp_reaches_the_program_as_go_time_text(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(project, capsys, stack(header="2001-12-14"))
    assert code == 2
    assert 'overrideHeader: got "2001-12-14 00:00:00 +0000 UTC"' in err


def test_infinity_is_refused_with_file_and_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(project, capsys, stack(weight=".inf"))
    assert code == 2
    assert f"{project / 'Pulumi.t.yaml'}:3: ab-routing:variants: .inf and .nan" in err


def test_duplicate_keys_are_errors_with_both_lines(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = stack().replace("      control: true\n", "      control: true\n      weight: 5\n")
    code, _, err = plan(project, capsys, text)
    assert code == 2
    assert 'Pulumi.t.yaml:8: ab-routing:variants: mapping key "weight" already defined at line 5' in err


def test_syntax_errors_name_the_file_and_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(project, capsys, stack(weight="[90"))
    assert code == 2
    assert f"error: {project / 'Pulumi.t.yaml'}:6: not valid YAML:" in err
    assert "<unicode string>" not in err and "Traceback" not in err


def test_explicit_tag_that_does_not_fit_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = plan(project, capsys, stack(weight="!!int ninety"))
    assert code == 2
    assert "Pulumi.t.yaml:5: ab-routing:variants: cannot decode !!str `ninety` as a !!int" in err


def test_forms_pulumi_accepts_plan(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # TRUE is a boolean in yaml.v3; 0x5A is 90; `!!int "10"` is 10 despite the quotes.
    text = stack(weight="0x5A", control="TRUE").replace("weight: 10\n", 'weight: !!int "10"\n')
    code, out, err = plan(project, capsys, text, "--json")
    assert code == 0, err
    variants = {v["name"]: v for v in json.loads(out)["variants"]}
    assert (variants["champion"]["weight"], variants["champion"]["control"], variants["challenger"]["weight"]) == (90, True, 10)


def test_engine_strings_are_what_pulumi_passes(project: Path) -> None:
    (project / "Pulumi.s.yaml").write_text(
        "config:\n  ab-routing:a: 0755\n  ab-routing:b: yes\n  ab-routing:c: 1e3\n  ab-routing:d: {x: 1.5e-7, y: <&>}\n"
        "  e: 2015-02-24T18:19:39.5-03:00\n  ab-routing:f: ~\n"
    )
    files = read_stack(project, "s")
    assert files.strings == {
        "ab-routing:a": "493",
        "ab-routing:b": "yes",
        "ab-routing:c": "1000",
        "ab-routing:d": '{"x":1.5e-7,"y":"\\u003c\\u0026\\u003e"}',
        "ab-routing:e": "2015-02-24 18:19:39.5 -0300 -0300",
        "ab-routing:f": "null",
    }
    assert files.config["ab-routing:d"] == {"x": 1.5e-7, "y": "<&>"}
    assert files.lines["ab-routing:c"] == 4


# -- the resolver itself, against yaml.v3's rules ------------------------------------------------

CASES = {
    "true": True,
    "False": False,
    "TRUE": True,
    "tRUE": "tRUE",
    "~": None,
    "0o17": 15,
    "-0o17": -15,
    "0x1F": 31,
    "-0x1F": -31,
    "08": 8.0,
    "0": 0,
    "-0": 0,
    "1_0": 10,
    "_1": "_1",
    ".5": 0.5,
    "-.5": -0.5,
    "1.": 1.0,
    ".5_0": 0.5,
    "1e400": "1e400",
    "9223372036854775807": 9223372036854775807,
    "18446744073709551615": 18446744073709551615,
    "18446744073709551616": 1.8446744073709552e19,
    "0xFFFFFFFFFFFFFFFFF": "0xFFFFFFFFFFFFFFFFF",
    "2015-02-30": "2015-02-30",
    "2015-1-2": GoTime("2015-01-02 00:00:00 +0000 UTC"),
    "2015-02-24 18:19:39": GoTime("2015-02-24 18:19:39 +0000 UTC"),
    "2015-02-24t18:19:39Z": GoTime("2015-02-24 18:19:39 +0000 UTC"),
    "2015-02-24T18:19:39+00:00": GoTime("2015-02-24 18:19:39 +0000 UTC"),
    "2001-12-14 21:59:43.10 -5": "2001-12-14 21:59:43.10 -5",
    "<<": "<<",
}


@pytest.mark.parametrize(("text", "expected"), CASES.items())
def test_resolve_table(text: str, expected: object) -> None:
    value = decode(compose(f"[{text}]") or compose(""))  # type: ignore[arg-type]
    assert isinstance(value, list)
    assert value[0] == expected and type(value[0]) is type(expected)


def test_special_floats() -> None:
    value = decode(compose("[.inf, -.Inf, .NAN]"))  # type: ignore[arg-type]
    assert isinstance(value, list)
    assert value[0] == math.inf and value[1] == -math.inf and math.isnan(value[2])


def test_merge_keys_keep_the_mappings_own_values() -> None:
    value = decode(compose("base: &b {x: 1, y: 2}\nm: {<<: *b, y: 3}\n"))  # type: ignore[arg-type]
    assert isinstance(value, dict) and value["m"] == {"x": 1, "y": 3}


def test_non_string_keys_as_go_prints_them() -> None:
    value = decode(compose("{1: a, true: b, 1e6: c, ~: d}"))  # type: ignore[arg-type]
    assert value == {"1": "a", "true": "b", "1e+06": "c", "<nil>": "d"}
    with pytest.raises(GoYamlError, match="both read as '1'"):
        decode(compose("{1: a, 0x1: b}"))  # type: ignore[arg-type]


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_integers_in_every_base_resolve_to_themselves(n: int) -> None:
    sign = "-" if n < 0 else ""
    for text in (str(n), f"{sign}0x{abs(n):x}", f"{sign}0o{abs(n):o}", f"{sign}0b{abs(n):b}", f"{sign}0{abs(n):o}"):
        assert decode(compose(text)) == n, text  # type: ignore[arg-type]


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_go_json_floats_read_back_to_the_same_value(x: float) -> None:
    assert float(go_json(x)) == x
    assert float(go_sprint(x)) == x
