"""README's config reference is generated from the key declarations and cannot drift from them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ab_routing.__main__ import main
from ab_routing.keys import fields_of
from ab_routing.model import RoutingConfig
from ab_routing.reference import TABLES, reference_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_holds_exactly_the_generated_reference() -> None:
    assert reference_markdown() in README.read_text(), (
        "README's config reference differs from the declarations in ab_routing/model.py; "
        "run `python -m ab_routing config-reference --write README.md`"
    )


def test_every_declared_key_has_a_row_with_its_default_and_description() -> None:
    text = reference_markdown()
    for table in TABLES:
        for field in fields_of(table.cls):
            row = next(line for line in text.splitlines() if line.startswith(f"| `{table.prefix}{field.spec.name}` |"))
            assert field.spec.doc and field.spec.doc in row
            assert field.spec.default_text() in row


def test_every_section_reachable_from_the_top_has_a_table() -> None:
    documented = {t.cls for t in TABLES}
    pending = [RoutingConfig]
    while pending:
        cls = pending.pop()
        assert cls in documented, f"{cls.__name__} has keys but no README table"
        for field in fields_of(cls):
            nested = getattr(field.spec.kind, "cls", None)
            if nested is not None and dataclasses.is_dataclass(nested):
                pending.append(nested)


def test_write_mode_puts_the_block_back_in_a_stale_readme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = README.read_text().replace("| `stickiness.duration` |", "| `stickiness.durations` |")
    target = tmp_path / "README.md"
    target.write_text(stale)
    assert main(["config-reference", "--write", str(target)]) == 0
    assert target.read_text() == README.read_text()
    assert "updated" in capsys.readouterr().err
