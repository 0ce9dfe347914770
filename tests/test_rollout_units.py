"""Rollout pieces on their own: weight arithmetic, settings, the config boundary, the Pulumi runner's
Ctrl-C handling, the verdict adapter and the AWS signals."""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ab_routing.config import parse_config
from ab_routing.report import verdict as report_verdict
from ab_routing.rollout.apply import PulumiCli, PulumiError
from ab_routing.rollout.settings import RolloutSettings, format_duration, parse_duration, parse_rollout_settings
from ab_routing.rollout.signals import AwsSignals
from ab_routing.rollout.verdicts import NO_DECISION, ROLL_BACK, ReportVerdicts, VariantVerdict, verdict_from_report
from ab_routing.rollout.weights import split, step_weights
from ab_routing.validate import ConfigError
from tests.support import base_raw, registrations, run

NAMES = st.sampled_from(["a", "b", "c", "d", "e"])


@settings(max_examples=60)
@given(st.dictionaries(NAMES, st.integers(0, 999), min_size=2, max_size=5), st.integers(0, 100), st.data())
def test_step_weights_are_integers_summing_to_100_near_the_exact_share(baseline: dict[str, int], percent: int, data: Any) -> None:
    variant = data.draw(st.sampled_from(sorted(baseline)))
    weights = step_weights(baseline, variant, percent)
    assert sum(weights.values()) == 100 and weights[variant] == percent
    others = {n: w for n, w in baseline.items() if n != variant}
    whole = sum(others.values())
    for name, w in others.items():
        exact = Fraction((100 - percent) * w, whole) if whole else Fraction(100 - percent, len(others))
        assert abs(weights[name] - exact) < 1


def test_rounding_is_largest_remainder_with_ties_by_name() -> None:
    assert split(50, {"c": 1, "a": 1, "b": 1}) == {"a": 17, "b": 17, "c": 16}
    assert split(10, {"x": 2, "y": 1}) == {"x": 7, "y": 3}  # 6.67 / 3.33
    assert step_weights({"champion": 80, "shadow": 20, "new": 0}, "new", 50) == {"champion": 40, "new": 50, "shadow": 10}
    assert step_weights({"a": 0, "b": 0, "v": 100}, "v", 40) == {"a": 30, "b": 30, "v": 40}  # all others 0: equal shares
    with pytest.raises(ValueError, match="not one of"):
        step_weights({"a": 1}, "b", 5)
    with pytest.raises(ValueError, match="0-100"):
        step_weights({"a": 1, "b": 1}, "b", 101)


def test_settings_parse_with_defaults_and_every_problem_named() -> None:
    assert parse_rollout_settings(None) == (RolloutSettings(), [])
    settings, issues = parse_rollout_settings({"steps": [10, 100], "bake": "90s", "minRequests": 0, "maxDuration": "2h"})
    assert issues == [] and settings == RolloutSettings((10, 100), 90, 0, 7200)
    _, issues = parse_rollout_settings({"steps": [5, 50], "bake": "15", "minRequests": -1, "maxDuration": "1d", "typo": 1})
    text = "\n".join(str(i) for i in issues)
    for expected in (
        "rollout.typo: unknown key",
        "rollout.steps: got [5, 50]; the last step must be 100",
        'rollout.bake: got "15"; expected a whole number and a unit s, m or h',
        "rollout.minRequests: got -1",
        'rollout.maxDuration: got "1d"',
    ):
        assert expected in text
    _, issues = parse_rollout_settings({"bake": "2h", "maxDuration": "1h"})
    assert [i.path for i in issues] == ["rollout.maxDuration"] and "shorter than bake" in issues[0].message
    assert [parse_duration(t) for t in ("0s", "45s", "15m", "2h")] == [0, 45, 900, 7200]
    for bad in ("1.5h", "-5m", "15", "", 15):
        with pytest.raises(ValueError, match="s, m or h"):
            parse_duration(bad)
    assert [format_duration(x) for x in (45, 90, 3600, 3660)] == ["45s", "1m 30s", "1h", "1h 01m"]


def test_stack_config_accepts_rollout_and_experiment_and_reports_bad_rollout_keys() -> None:
    raw = {**base_raw(), "rollout": {"steps": [50, 100], "bake": "5m"}, "experiment": {"start": "2025-03-04T10:16:00Z"}}
    parse_config(raw)
    with pytest.raises(ConfigError, match=r"rollout\.bake: got \"soon\""):
        parse_config({**base_raw(), "rollout": {"bake": "soon"}})


def test_rollout_and_experiment_keys_change_no_resource() -> None:
    before = registrations(run(base_raw()))
    after = registrations(
        run({**base_raw(), "rollout": {"steps": [10, 100], "bake": "1h"}, "experiment": {"start": "2025-03-04T10:16:00Z"}})
    )
    assert before == after


FAKE_UP = """#!/bin/sh
trap 'echo "cancelling: got SIGINT"; sleep 0.3; echo "cancelled"; exit 0' INT
echo "Updating (dev)"
i=0
while [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done
echo "finished without a signal"
"""


def test_ctrl_c_during_pulumi_up_is_passed_on_once_then_raised(tmp_path: Path) -> None:
    import io

    script = tmp_path / "pulumi"
    script.write_text(FAKE_UP)
    script.chmod(0o755)
    out = io.StringIO()
    cli = PulumiCli(tmp_path, out, executable=str(script))
    # two Ctrl-C at the terminal, the second while Pulumi is still cancelling
    timers = [threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT)) for delay in (0.25, 0.4)]
    for timer in timers:
        timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            cli.up("dev")
    finally:
        for timer in timers:
            timer.join()
    text = out.getvalue()
    assert "  | Updating (dev)" in text and "  | cancelling: got SIGINT" in text
    assert text.count("letting `pulumi up` finish") == 1  # passed on once; the second only waits
    assert "still waiting for `pulumi up`" in text and "  | cancelled" in text
    assert "finished without a signal" not in text
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_pulumi_failures_are_clear(tmp_path: Path) -> None:
    script = tmp_path / "pulumi"
    script.write_text("#!/bin/sh\necho 'error: stack dev not found'\nexit 255\n")
    script.chmod(0o755)
    with pytest.raises(PulumiError, match=r"failed \(exit code 255\): error: stack dev not found") as failure:
        PulumiCli(tmp_path, executable=str(script)).up("dev")
    assert failure.value.exit_code == 1
    with pytest.raises(PulumiError, match="not logged in") as failure:
        PulumiCli(tmp_path, executable=str(script)).whoami()
    with pytest.raises(PulumiError, match="not installed") as failure:
        PulumiCli(tmp_path, executable=str(tmp_path / "absent")).whoami()
    assert failure.value.exit_code == 2


class ScriptedCloudWatch:
    meta = type("Meta", (), {"region_name": "us-east-1"})()

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def get_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        self.requests.append(kwargs)
        results = []
        for q in kwargs["MetricDataQueries"]:
            tg = q["MetricStat"]["Metric"]["Dimensions"][1]["Value"]
            metric = q["MetricStat"]["Metric"]["MetricName"]
            value = {"RequestCount": 1000.0, "HTTPCode_Target_5XX_Count": 80.0 if "challenger" in tg else 1.0}.get(metric, 0.0)
            stamps = [kwargs["StartTime"] + timedelta(minutes=i) for i in range(10)]
            results.append({"Id": q["Id"], "Timestamps": stamps, "Values": [value] * 10, "StatusCode": "Complete"})
        return {"MetricDataResults": results}

    def describe_alarms(self, **kwargs: Any) -> dict[str, Any]:
        return {"MetricAlarms": [{"AlarmName": kwargs["AlarmNames"][0], "StateValue": "ALARM"}]}

    def get_metric_statistics(self, **kwargs: Any) -> dict[str, Any]:
        self.requests.append(kwargs)
        return {"Datapoints": [{"Sum": 40.0}, {"Sum": 2.0}]}


def test_report_verdicts_judge_the_window_from_the_step_start() -> None:
    from ab_routing.config import parse_stack_config
    from ab_routing.outputs import parse_outputs
    from tests.support import stack_config

    config = parse_stack_config(stack_config(), "us-east-1")
    deployed = parse_outputs(
        {
            "loadBalancerArnSuffix": "app/lb/1",
            "variants": {
                "champion": {"targetGroupArnSuffix": "targetgroup/champion/1", "weight": 90},
                "challenger": {"targetGroupArnSuffix": "targetgroup/challenger/2", "weight": 10},
            },
        },
        "test",
    )
    client = ScriptedCloudWatch()
    source = ReportVerdicts(stack="dev", config=config, deployed=deployed, cloudwatch=client).with_weights(
        {"champion": 50, "challenger": 50}
    )
    start = datetime(2025, 3, 4, 10, 16, tzinfo=UTC)
    early = source.verdict("challenger", start, start + timedelta(seconds=50))
    assert early.verdict == "no decision" and client.requests == []
    verdict = source.verdict("challenger", start, start + timedelta(minutes=10, seconds=30))
    assert client.requests[0]["StartTime"] == start and client.requests[0]["EndTime"] == start + timedelta(minutes=10)
    assert verdict.verdict == "roll back" and "significantly more failed requests" in verdict.reason
    assert verdict_from_report({"variants": [], "comparisons": []}, "x") == VariantVerdict("no decision", "x is not in the report")
    assert (ROLL_BACK, NO_DECISION) == (report_verdict.ROLL_BACK, report_verdict.NO_DECISION)


def test_aws_signals_read_alarms_requests_and_health() -> None:
    class Elb:
        def describe_target_health(self, **_: Any) -> dict[str, Any]:
            return {"TargetHealthDescriptions": [{"TargetHealth": {"State": "unhealthy"}}, {"TargetHealth": {"State": "healthy"}}]}

    signals = AwsSignals(ScriptedCloudWatch(), Elb())
    assert signals.alarm_states(["x", "y"]) == {"x": "ALARM", "y": "MISSING"}
    start = datetime(2025, 3, 4, 10, 16, tzinfo=UTC)
    assert signals.requests("app/lb/1", "targetgroup/c/2", start, start + timedelta(minutes=2)) == 42
    assert signals.requests("app/lb/1", "targetgroup/c/2", start, start) == 0
    health = signals.health("arn")
    assert (health.healthy, health.registered, health.checked) == (1, 2, True)


def test_on_a_terminal_the_status_line_is_redrawn_in_place_and_left_once() -> None:
    import io

    from ab_routing.rollout.status import StatusLine

    stream = io.StringIO()
    status = StatusLine(stream=stream, force_terminal=True)
    status.start(lambda: "step 1 challenger 25% | requests 120/500")
    status.checked()  # on a terminal a check prints nothing: the live line shows it
    status.say("note: messages go above the live line")
    status.stop()
    out = stream.getvalue()
    assert "\r\x1b[2K" in out  # erased and redrawn in place, not appended
    assert out.index("note: messages go above the live line") < out.rindex("step 1 challenger 25%")
    last = out.rsplit("\x1b[2K", 1)[1]
    assert last == "step 1 challenger 25% | requests 120/500\n"  # left once, as a plain line, when it stops


def test_off_a_terminal_each_check_is_one_plain_line() -> None:
    import io

    from ab_routing.rollout.status import StatusLine

    stream = io.StringIO()
    status = StatusLine(stream=stream)
    status.start(lambda: "step 1 challenger 25% | requests 120/500")
    status.checked()
    status.checked()
    status.stop()
    assert stream.getvalue() == "step 1 challenger 25% | requests 120/500\n" * 2


def test_the_turned_off_flag_survives_a_run_that_could_not_read_stickiness(tmp_path: Path) -> None:
    from ab_routing.rollout.engine import still_turned_off
    from ab_routing.rollout.records import append_record

    assert still_turned_off(tmp_path, "dev", True, None) is True  # this run turned it off
    assert still_turned_off(tmp_path, "dev", False, False) is False  # nothing before: the user's choice
    append_record(tmp_path, {"stack": "dev", "stickinessTurnedOff": True})
    assert still_turned_off(tmp_path, "dev", False, None) is True  # AWS unreadable at the end: keep it
    assert still_turned_off(tmp_path, "dev", False, False) is True
    assert still_turned_off(tmp_path, "dev", False, True) is False  # turned back on
    assert still_turned_off(tmp_path, "prod", False, False) is False  # another stack's record
