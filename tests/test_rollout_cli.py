"""rollout / rollback / promote end to end: the stack file, a fake `pulumi`, moto's ELBv2 over HTTP
(what the listener really forwards is read back), and an injected clock so bakes take milliseconds."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ab_routing.rollout.verdicts import VariantVerdict
from tests import fake_pulumi
from tests.rollout_support import REPO, Alb, MotoServer, Project, install_fake_pulumi, make_project

SERVER = MotoServer()  # boots while the test modules collected before this one run


@pytest.fixture(scope="module")
def alb() -> Iterator[Alb]:
    yield SERVER.alb()
    SERVER.stop()


@pytest.fixture
def project(tmp_path: Path, alb: Alb) -> Project:
    return make_project(tmp_path, alb)


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def config(project: Project) -> dict:
    return yaml.safe_load(project.stack_file.read_text())["config"]


def test_full_rollout_with_alarms_ok(project: Project) -> None:
    original = project.stack_file.read_text()
    assert project.run("rollout", "--variant", "challenger", "--yes") == 0
    assert project.alb.weights() == ({"champion": 0, "challenger": 100}, True)
    ups = [c for c in project.calls() if c[0] == "up"]
    assert ups == [["up", "--yes", "--stack", "dev"]] * 3  # 10% now: steps 25, 50, 100
    (record,) = project.records()
    assert record["outcome"] == "done" and record["from"] == {"champion": 90, "challenger": 10}
    assert [(s["percent"], s["weights"], s["result"]) for s in record["steps"]] == [
        (25, {"challenger": 25, "champion": 75}, "passed"),
        (50, {"challenger": 50, "champion": 50}, "passed"),
        (100, {"challenger": 100, "champion": 0}, "passed"),
    ]
    # each step bakes 15 min and needs 500 requests (100/min from the step's first whole minute)
    assert all(s["bakedSeconds"] >= 15 * 60 and s["requests"] >= 500 for s in record["steps"])
    start = config(project)["ab-routing:experiment"]["start"]
    assert isinstance(start, str) and re.fullmatch(r"2025-03-04T\d\d:\d\d:00Z", start)
    assert start == record["steps"][-1]["experimentStart"]
    assert project.verdicts.asked and all(v == "challenger" for v, _ in project.verdicts.asked)
    # target health from the check after each apply: noted, not a failure (moto's groups have no targets)
    assert "challenger has weight 25 but no targets registered (target health after the apply)" in record["notes"]
    assert "champion has weight 75 but no targets registered (target health after the apply)" in project.log.getvalue()
    removed, added = changed_lines(original, project.stack_file.read_text())
    assert removed == ["      weight: 90", "      weight: 10"]
    assert added == ["      weight: 0", "      weight: 100", f'  ab-routing:experiment: {{start: "{start}"}}']


def test_alarm_in_the_second_bake_rolls_back(project: Project) -> None:
    project.signals.alarm_at = ("challenger-latency-p99", 20 * 60)  # step 1 passes at ~15-16 min
    assert project.run("rollout", "--variant", "challenger", "--yes") == 3
    assert project.alb.weights() == ({"champion": 90, "challenger": 0}, False)
    cfg = config(project)
    assert cfg["ab-routing:stickiness"] == {"enabled": False, "duration": 3600}
    assert cfg["ab-routing:variants"]["challenger"]["weight"] == 0
    (record,) = project.records()
    assert record["outcome"] == "rolled back" and record["stickinessTurnedOff"] is True
    assert "challenger-latency-p99 (latencyP99) in ALARM" in record["reason"]
    assert [s["result"] for s in record["steps"]] == ["passed", "breach"]
    assert "BREACH" in project.log.getvalue()

    # the next rollout turns stickiness back on with its first step
    project.signals.alarm_at = None
    assert project.run("rollout", "--variant", "challenger", "--yes", "--steps", "100", "--bake", "1m", "--min-requests", "0") == 0
    assert project.alb.weights() == ({"champion": 0, "challenger": 100}, True)


def test_roll_back_verdict_is_a_breach(project: Project) -> None:
    project.verdicts.script = lambda elapsed: VariantVerdict("roll back" if elapsed > 300 else "keep collecting", "error rate +3.0 pp")
    assert project.run("rollout", "--variant", "challenger", "--yes") == 3
    (record,) = project.records()
    assert record["reason"].startswith("report verdict 'roll back'") and "+3.0 pp" in record["reason"]
    assert project.alb.weights() == ({"champion": 90, "challenger": 0}, False)


def test_split_mismatch_is_not_a_breach_while_stickiness_is_on(project: Project) -> None:
    project.verdicts.script = lambda elapsed: VariantVerdict("fix the split", "split off", split_mismatch=True)
    assert project.run("rollout", "--variant", "challenger", "--yes", "--steps", "100", "--bake", "2m", "--min-requests", "1") == 0
    assert "split check is shown but is not a breach" in project.log.getvalue()


def test_too_few_requests_waits_then_fails_at_max_duration(project: Project) -> None:
    project.signals.per_minute = 3  # 180 requests an hour, 500 needed
    code = project.run("rollout", "--variant", "challenger", "--yes", "--max-duration", "1h")
    assert code == 3
    (record,) = project.records()
    assert record["steps"][0]["result"] == "timed out"
    assert "of 500 requests" in record["reason"] and "maxDuration" in record["reason"]
    assert 3600 <= project.clock.elapsed() < 3600 + 120  # waited the whole hour, checking each minute
    assert project.signals.calls >= 60
    assert project.alb.weights()[0] == {"champion": 90, "challenger": 0}


def test_apply_failure_changes_nothing_and_names_the_deployed_weights(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    original = project.stack_file.read_bytes()
    project.behave(failUp=True)
    assert project.run("rollout", "--variant", "challenger", "--yes") == 1
    err = capsys.readouterr().err
    assert "AccessDenied" in err and "deployed now: challenger 10, champion 90; stickiness on" in err
    assert project.stack_file.read_bytes() == original  # put back in line with what is deployed
    assert project.records()[0]["outcome"] == "failed"


def test_drift_after_apply_stops_with_exit_1(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.behave(drift={"challenger": 7})
    assert project.run("rollout", "--variant", "challenger", "--yes") == 1
    err = capsys.readouterr().err
    # verify's drift check, by share of traffic; the override rules (overrideHeader is set, moto's
    # listener has none) are left out: the step changes only the forward
    assert "forward weight: variant challenger: deployed 7 (8.54%), expected 25 (25%)" in err
    assert "forward weight: variant champion: deployed 75 (91.46%), expected 75 (75%)" in err
    assert "override rule" not in err
    assert project.clock.elapsed() >= 30  # re-read during the settle window before failing
    assert config(project)["ab-routing:variants"]["challenger"]["weight"] == 7  # the file says what is deployed


def test_ctrl_c_during_a_bake_then_resume(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.clock.interrupt_after = 20 * 60  # in the second step's bake (50%)
    assert project.run("rollout", "--variant", "challenger", "--yes") == 1
    assert project.alb.weights() == ({"champion": 50, "challenger": 50}, True)
    assert config(project)["ab-routing:variants"]["challenger"]["weight"] == 50
    log = project.log.getvalue()
    assert "interrupted during step 2 (50%)" in log
    assert "python -m ab_routing rollout --stack dev --variant challenger" in log
    assert "python -m ab_routing rollback --stack dev --variant challenger" in log
    assert project.records()[0]["outcome"] == "interrupted"
    ups_before = len([c for c in project.calls() if c[0] == "up"])

    assert project.run("rollout", "--variant", "challenger", "--yes") == 0
    second = project.records()[1]
    assert [(s["percent"], s["result"]) for s in second["steps"]] == [(50, "passed"), (100, "passed")]
    assert len([c for c in project.calls() if c[0] == "up"]) == ups_before + 1  # 50% was already deployed
    assert project.alb.weights() == ({"champion": 0, "challenger": 100}, True)


def test_rollback_and_promote(project: Project) -> None:
    project.alb.reset({"champion": 50, "challenger": 50})
    assert project.run("rollback", "--variant", "challenger") == 0
    assert project.alb.weights() == ({"champion": 50, "challenger": 0}, False)
    assert project.records()[-1]["command"] == "rollback"

    before = project.stack_file.read_text()
    assert project.run("promote", "--variant", "challenger", "--yes") == 0
    assert project.alb.weights() == ({"champion": 0, "challenger": 100}, False)
    variants = config(project)["ab-routing:variants"]
    assert variants["challenger"]["control"] is True and variants["champion"]["control"] is False
    removed, added = changed_lines(before, project.stack_file.read_text())
    assert sorted(removed) == ["      control: true", "      weight: 0", "      weight: 50"]
    assert sorted(added) == ["      control: false", "      control: true", "      weight: 0", "      weight: 100"]


def test_dry_run_prints_the_timeline_and_changes_nothing(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    original = project.stack_file.read_bytes()
    assert project.run("rollout", "--variant", "challenger", "--dry-run", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(s["percent"], s["weights"]["champion"]) for s in doc["steps"]] == [(25, 75), (50, 50), (100, 0)]
    assert doc["minimumSecondsToFullTraffic"] == 30 * 60 and doc["minimumSecondsToEnd"] == 45 * 60
    assert doc["maximumSeconds"] == 3 * 24 * 3600 and doc["scaleAhead"] is None
    # 5 one-minute alarm periods + one check + 30 s settle; stickiness (3600 s) only if it were left on
    assert doc["rollback"]["worstCaseSeconds"] == 300 + 60 + 30
    assert doc["rollback"]["worstCaseWithoutTurningStickinessOffSeconds"] == 390 + 3600
    assert project.run("rollout", "--variant", "challenger", "--dry-run", "--bake", "5m") == 0
    text = capsys.readouterr().out
    assert "step 2  50%" in text and "minimum time to full traffic: 10m" in text and "stickiness off" in text
    assert project.stack_file.read_bytes() == original and project.calls() == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--variant", "nope"], "--variant: got 'nope'; Pulumi.dev.yaml has"),
        (["--variant", "champion"], "is the control"),
        (["--variant", "challenger", "--bake", "2h", "--max-duration", "1h"], "shorter than bake"),
        (["--variant", "challenger"], "pass --yes"),
    ],
)
def test_bad_input_exits_2_before_anything_changes(
    project: Project, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    original = project.stack_file.read_bytes()
    assert project.run("rollout", *argv) == 2
    assert message in capsys.readouterr().err
    assert project.stack_file.read_bytes() == original and project.calls() == []


@pytest.mark.parametrize("flag", [["--steps", "5,50"], ["--bake", "15"], ["--steps", "50,25,100"], ["--min-requests", "-1"]])
def test_bad_flags_are_refused_by_the_parser(project: Project, flag: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        project.args("rollout", "--variant", "challenger", *flag)
    assert exit_.value.code == 2 and "got" in capsys.readouterr().err


def test_real_cli_path_with_the_fake_pulumi_executable(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One smoke test through PulumiCli: `pulumi` found on PATH, its output streamed, outputs asked for."""
    install_fake_pulumi(tmp_path / "bin", monkeypatch)
    code = project.run(
        "rollout", "--variant", "challenger", "--yes", "--steps", "50,100", "--bake", "1m", "--min-requests", "10", in_process=False
    )
    assert code == 0
    assert project.calls() == [
        ["whoami"],
        ["stack", "output", "--json", "--stack", "dev"],
        ["up", "--yes", "--stack", "dev"],
        ["up", "--yes", "--stack", "dev"],
    ]
    assert "  | Updating (dev)" in capsys.readouterr().err
    assert project.alb.weights() == ({"champion": 0, "challenger": 100}, True)
    assert (project.dir / fake_pulumi.REGION_SEEN).read_text() == ""  # no --region: pulumi up's environment as it was


def test_missing_or_logged_out_cli_changes_nothing(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = project.stack_file.read_bytes()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert project.run("rollout", "--variant", "challenger", "--yes", in_process=False) == 2
    assert "pulumi CLI is not installed" in capsys.readouterr().err
    install_fake_pulumi(tmp_path / "bin", monkeypatch)
    project.behave(notLoggedIn=True)
    assert project.run("rollback", "--variant", "challenger", in_process=False) == 1
    assert "not logged in" in capsys.readouterr().err
    assert project.stack_file.read_bytes() == original
    assert project.alb.weights() == ({"champion": 90, "challenger": 10}, True)


def test_repo_stack_files_are_the_ones_tested() -> None:
    assert (REPO / "Pulumi.dev.yaml").exists() and (REPO / "Pulumi.prod.yaml").exists()


# -- container variants: scaled up before their weight rises -------------------------------------


def test_a_container_variant_is_scaled_up_before_each_weight_rise(project: Project) -> None:
    ecs = project.containerize()  # busiest minute 1000 requests, 100 per task, minCount 2, maxCount 8
    assert project.run("rollout", "--variant", "challenger", "--yes") == 0
    # (desired count, challenger weight deployed when it was set): always the previous step's weight
    assert ecs.updates == [(3, 10), (5, 25), (8, 50)]
    # the same counts held as autoscaling's floor, so scale-in cannot undo them; minCount again at the end
    assert project.autoscaling is not None and project.autoscaling.floors == [(3, 10), (5, 25), (8, 50), (2, 100)]
    (record,) = project.records()
    assert [s["capacity"] for s in record["steps"]] == [
        {"busiestMinuteRequests": 1000, "tasksNeeded": n, "tasksRunning": n, "floorHeld": True} for n in (3, 5, 8)
    ]
    assert record["floorsReleased"] == {"challenger": 2}
    capped = "at 100% challenger needs 10 task(s) for the busiest minute of the last 15 (1000 requests)"
    assert any(note.startswith(capped) and "maxCount is 8" in note for note in record["notes"])
    assert "scaling challenger-service from 2 to 3 task(s) before the weight rises" in project.log.getvalue()


def test_tasks_that_do_not_start_stop_the_rollout_before_the_weight_rises(project: Project) -> None:
    ecs = project.containerize()
    ecs.start_per_poll = 0
    assert project.run("rollout", "--variant", "challenger", "--yes") == 1
    assert project.alb.weights() == ({"champion": 90, "challenger": 10}, True)  # nothing applied
    assert [c for c in project.calls() if c[0] == "up"] == []
    (record,) = project.records()
    assert record["outcome"] == "failed"
    assert "could not scale challenger up before raising its weight" in record["reason"]
    assert "runs 2 of 3 task(s) after 600 s" in record["reason"] and "deployed now: challenger 10, champion 90" in record["message"]
    assert "waiting for challenger-service: 2/3 task(s) running" in project.log.getvalue()
    assert project.autoscaling is not None and project.autoscaling.floors == [(3, 10), (2, 10)]  # released on failure too


def test_promote_scales_a_container_variant_for_all_traffic_first(project: Project) -> None:
    ecs = project.containerize()
    project.signals.lb_per_minute = 500
    assert project.run("promote", "--variant", "challenger", "--yes") == 0
    assert ecs.updates == [(5, 10)] and project.alb.weights()[0] == {"champion": 0, "challenger": 100}
    assert project.autoscaling is not None and project.autoscaling.floors == [(5, 10), (2, 100)]
    (record,) = project.records()
    assert record["capacity"] == {"busiestMinuteRequests": 500, "tasksNeeded": 5, "tasksRunning": 5, "floorHeld": True}


def test_a_container_variant_without_service_outputs_is_noted_not_scaled(project: Project) -> None:
    project.containerize()
    outputs = json.loads((project.dir / "outputs.json").read_text())
    del outputs["variants"]["challenger"]["ecsService"]
    (project.dir / "outputs.json").write_text(json.dumps(outputs))
    assert project.run("promote", "--variant", "challenger", "--yes") == 0
    assert project.ecs is not None and project.ecs.updates == []
    (record,) = project.records()
    assert any("name no ECS service for challenger" in note for note in record["notes"])


def test_dry_run_of_a_container_variant_says_how_it_is_scaled(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.containerize()
    assert project.run("rollout", "--variant", "challenger", "--dry-run", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    expected = {"minCount": 2, "maxCount": 8, "targetRequestsPerTarget": 100, "lookbackSeconds": 900, "timeoutSeconds": 600}
    assert doc["scaleAhead"] == expected
    assert doc["maximumSeconds"] == 3 * (24 * 3600 + 600)
    assert project.run("rollout", "--variant", "challenger", "--dry-run") == 0
    assert "scaled to ceil(busiest minute of the last 15m x share / 100) tasks within 2..8" in capsys.readouterr().out
    assert project.ecs is not None and project.ecs.updates == []


# -- stickiness turned off by a rollback stays remembered until a rollout turns it back on -------


def _roll_back_automatically(project: Project) -> None:
    project.verdicts.script = lambda elapsed: VariantVerdict("roll back", "error rate +3.0 pp")
    assert project.run("rollout", "--variant", "challenger", "--yes", *ONE_STEP) == 3
    assert project.alb.weights() == ({"champion": 90, "challenger": 0}, False)
    project.verdicts.script = lambda elapsed: VariantVerdict("keep collecting")


ONE_STEP = ("--steps", "100", "--bake", "1m", "--min-requests", "1")


def test_a_manual_rollback_after_an_automatic_one_keeps_the_promise_to_turn_stickiness_on(project: Project) -> None:
    _roll_back_automatically(project)
    assert project.run("rollback", "--variant", "challenger") == 0  # stickiness already off: nothing of its own to remember
    assert project.records()[-1]["stickinessTurnedOff"] is True
    assert project.run("rollout", "--variant", "challenger", "--yes", *ONE_STEP) == 0
    assert project.alb.weights() == ({"champion": 0, "challenger": 100}, True)
    assert project.records()[-1]["stickinessTurnedOff"] is False


def test_a_failed_rollout_in_between_does_not_forget_it_either(project: Project) -> None:
    _roll_back_automatically(project)
    project.behave(failUp=True)
    assert project.run("rollout", "--variant", "challenger", "--yes") == 1
    assert project.records()[-1]["stickinessTurnedOff"] is True
    project.behave(failUp=False)
    assert project.run("rollout", "--variant", "challenger", "--yes", *ONE_STEP) == 0
    assert project.alb.weights() == ({"champion": 0, "challenger": 100}, True)


def test_stickiness_the_user_turned_off_is_never_turned_on(project: Project) -> None:
    project.alb.reset({"champion": 90, "challenger": 10}, sticky=False)
    text = project.stack_file.read_text()
    project.stack_file.write_text(text.replace("ab-routing:stickiness: {enabled: true", "ab-routing:stickiness: {enabled: false"))
    assert project.run("rollback", "--variant", "challenger") == 0
    assert project.records()[-1]["stickinessTurnedOff"] is False
    assert project.run("rollout", "--variant", "challenger", "--yes", *ONE_STEP) == 0
    assert project.alb.weights() == ({"champion": 0, "challenger": 100}, False)


def test_a_rollback_whose_apply_fails_still_names_the_breach(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.signals.alarm_at = ("challenger-latency-p99", 20 * 60)
    states = project.signals.alarm_states

    def alarm_then_broken_apply(names: list[str]) -> dict[str, str]:
        found = states(names)
        if "ALARM" in found.values():
            project.behave(failUp=True)
        return found

    project.signals.alarm_states = alarm_then_broken_apply  # type: ignore[method-assign]
    assert project.run("rollout", "--variant", "challenger", "--yes") == 1
    (record,) = project.records()
    assert record["outcome"] == "failed"
    assert record["reason"].startswith("alarm challenger-latency-p99 (latencyP99) in ALARM") and "rolling back failed" in record["reason"]
    assert "deployed now: challenger 50, champion 50" in capsys.readouterr().err  # the alarm came in the 50% step


def test_an_apply_failure_through_the_real_cli_path_names_the_error_and_the_deployed_weights(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """PulumiCli's failure path with the fake executable on PATH: its exit code, its last line, nothing applied."""
    install_fake_pulumi(tmp_path / "bin", monkeypatch)
    original = project.stack_file.read_bytes()
    project.behave(failUp=True)
    assert project.run("rollout", "--variant", "challenger", "--yes", in_process=False) == 1
    err = capsys.readouterr().err
    assert "`pulumi up --yes --stack dev` failed (exit code 255)" in err and "AccessDenied" in err
    assert "deployed now: challenger 10, champion 90; stickiness on" in err
    assert project.stack_file.read_bytes() == original and project.alb.weights() == ({"champion": 90, "challenger": 10}, True)


def test_region_flag_reaches_pulumi_up(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--region` moves the checks' AWS clients; `pulumi up` gets it as AWS_REGION so the apply goes to the same place."""
    install_fake_pulumi(tmp_path / "bin", monkeypatch)
    argv = ("rollout", "--variant", "challenger", "--yes", "--steps", "100", "--bake", "1m", "--min-requests", "10")
    argv = (*argv, "--region", "us-east-1")
    assert project.run(*argv, in_process=False) == 0
    assert (project.dir / fake_pulumi.REGION_SEEN).read_text() == "us-east-1"
