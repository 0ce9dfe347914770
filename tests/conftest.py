"""Settings every test shares: no hypothesis deadline, and no AWS_* variable from the machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests check rules, not speed: on a loaded 2-core machine one example can take a second,
# and hypothesis's default 200 ms deadline would turn that into a spurious failure. 50 examples per
# property (hypothesis's default is 100) keep the whole suite under a minute on 2 cores; tests that
# need more say so with their own @settings, and `--hypothesis-profile thorough` runs 1000.
settings.register_profile("ab-routing", deadline=None, max_examples=50)
settings.register_profile("thorough", deadline=None, max_examples=1000)
settings.load_profile("ab-routing")


@pytest.fixture(autouse=True)
def no_machine_aws_settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test runs without the machine's AWS_* variables and shared config files, so a plan's
    bytes, a region or a credential never depend on where the suite runs; tests set what they need."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    nowhere: Path = tmp_path_factory.getbasetemp() / "no-aws-files"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(nowhere / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
