"""The rollout, rollback and promote procedures: edit the stack file, apply, verify, bake, record.

Everything that talks to the outside is injected (`Env`): the clock and sleep (so a bake takes
milliseconds in tests), the ELBv2 client (verify), `Signals` (alarms, requests, health), a
`VerdictSource` (the report) and the Pulumi CLI. Procedures raise nothing the user should not read:
failures become an exit code and a message, and every run appends a record.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol, cast

from ab_routing.config import parse_stack_config
from ab_routing.exits import EXIT_CHECK_FAILED, EXIT_FAILURE, EXIT_OK
from ab_routing.model import RoutingConfig
from ab_routing.outputs import Deployed
from ab_routing.region import resolve_region
from ab_routing.rollout.apply import PulumiError
from ab_routing.rollout.capacity import LOOKBACK, SCALE_TIMEOUT_SECONDS, ScaleError, scale_up, set_floor, tasks_needed
from ab_routing.rollout.editor import (
    EditError,
    KeyPath,
    Scalar,
    control_changes,
    edit_file,
    experiment_start_change,
    stickiness_change,
    weight_changes,
)
from ab_routing.rollout.records import append_record, last_record, record_path
from ab_routing.rollout.settings import RolloutSettings, format_duration
from ab_routing.rollout.signals import SignalError, Signals
from ab_routing.rollout.status import StatusLine
from ab_routing.rollout.verdicts import NO_DECISION, ROLL_BACK, VerdictSource
from ab_routing.rollout.weights import percent_of, split, step_weights
from ab_routing.shares import share_percent
from ab_routing.stackfiles import read_stack
from ab_routing.verify.drift import AwsReadError, DeployedCheck, check_deployed, deployed_weights, target_group_arns

CHECK_SECONDS = 60
"""The bake looks once a minute (ALB metrics and alarms move per minute)."""
SETTLE_SECONDS = 30.0
"""How long a mismatch after `pulumi up` may take to disappear before the step fails."""
MAX_BLIND_CHECKS = 3
"""Consecutive checks that could not read AWS before the rollout stops (exit 1)."""


class Applier(Protocol):
    def up(self, stack: str) -> None: ...


@dataclass
class Env:
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    elbv2: Any
    signals: Signals
    verdicts: VerdictSource
    pulumi: Applier
    status: StatusLine
    settle_seconds: float = SETTLE_SECONDS
    ecs: Any = None
    """The ECS client, to scale a container variant up before its weight rises (None: never needed)."""
    autoscaling: Any = None
    """The Application Auto Scaling client, to hold the scaled-up tasks as a floor until the command ends."""
    scale_timeout_seconds: float = SCALE_TIMEOUT_SECONDS


class BreachError(Exception):
    """The variant must be rolled back; the message says why and when."""


class CannotProceedError(Exception):
    """Apply failed, drift after apply, AWS unreachable: stop, say what is deployed, exit 1."""


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ceil_minute(moment: datetime) -> datetime:
    seconds = math.ceil(moment.timestamp() / 60) * 60
    return datetime.fromtimestamp(seconds, tz=UTC)


def floor_minute(moment: datetime) -> datetime:
    return datetime.fromtimestamp(int(moment.timestamp()) // 60 * 60, tz=UTC)


def show_weights(weights: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {w}" for name, w in sorted(weights.items()))


def still_turned_off(directory: Path, stack: str, turned_off_now: bool, sticky_at_end: bool | None) -> bool:
    """The record's `stickinessTurnedOff`: stickiness is off because a rollback turned it off, by
    this run or by an earlier one that nothing has turned back on since (a manual rollback, a
    failed or interrupted rollout in between must not make the next rollout forget it)."""
    if turned_off_now:
        return True
    previous = last_record(directory, stack)
    return bool(previous and previous.get("stickinessTurnedOff")) and sticky_at_end is not True  # unknown keeps it


def expected_outputs(deployed: Deployed, weights: Mapping[str, int]) -> Deployed:
    """The stack outputs as an apply of `weights` must leave them.

    The outputs were read once, before the first step, so after a `pulumi up` their weights are stale;
    verify's drift check compares AWS with the outputs, so it is given the weights this apply set
    (and its config-vs-outputs "pending" comparison then checks that the stack file says the same).
    """
    total = sum(weights.values())
    variants = tuple(replace(v, weight=weights[v.name], share=share_percent(weights[v.name], total)) for v in deployed.variants)
    return replace(deployed, variants=variants)


@dataclass
class StackOps:
    """One stack's file, its apply and its verification: what all three commands do to move traffic."""

    directory: Path
    stack: str
    project: str
    deployed: Deployed
    env: Env
    notes: list[str] = field(default_factory=list)
    region: str | None = None
    """The region the command started with (`--region` when the stack sets none), kept on re-reads."""
    floors: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    """Variant -> (cluster, service, minCount) whose autoscaling floor this command raised."""

    def note(self, message: str) -> None:
        """Say it once: on the progress stream now and in the record's notes."""
        if message not in self.notes:
            self.notes.append(message)
            self.env.status.say(f"note: {message}")

    @property
    def file(self) -> Path:
        return self.directory / f"Pulumi.{self.stack}.yaml"

    def config(self) -> RoutingConfig:
        files = read_stack(self.directory, self.stack)
        return parse_stack_config(files.config, resolve_region(files.config, chosen=self.region).name)

    def read(self) -> tuple[dict[str, int], bool]:
        """Deployed weights and stickiness, from the listener; CannotProceedError when AWS cannot be read."""
        try:
            return deployed_weights(self.env.elbv2, self.deployed.require("listenerArn"), target_group_arns(self.deployed))
        except AwsReadError as problem:
            raise CannotProceedError(f"cannot read the deployed weights: {problem}") from None

    def write(
        self, weights: Mapping[str, int] | None = None, *, sticky: bool | None = None, start: str | None = None, control: str | None = None
    ) -> bool:
        changes: dict[KeyPath, Scalar] = {}
        if weights is not None:
            changes.update(weight_changes(self.project, weights))
        if sticky is not None:
            changes.update(stickiness_change(self.project, sticky))
        if start is not None:
            changes.update(experiment_start_change(self.project, start))
        if control is not None:
            config = self.config()
            changes.update(
                control_changes(self.project, [v.name for v in config.variants], control, {v.name: v.control for v in config.variants})
            )
        try:
            return edit_file(self.file, changes, self.project)
        except EditError as problem:
            raise CannotProceedError(str(problem)) from None

    def apply(self, weights: Mapping[str, int], sticky: bool, *, control: str | None = None) -> DeployedCheck:
        """Edit, `pulumi up`, verify. CannotProceedError on failure, after putting the file in line.

        Verified with `verify`'s drift check, override rules left out: the step fails on any
        difference in the listener's forward (weights, groups, stickiness on/off and duration, the
        listener gone) that outlasts the settle window, and on the stack file not saying what was
        applied. Target health is only noted: a variant with traffic and no healthy target is the
        bake's breach for V, and for the others a fact to report, not a reason to undo the apply.
        """
        self.write(weights, sticky=sticky, control=control)
        self.env.status.say(f"applying: {show_weights(weights)}; stickiness {'on' if sticky else 'off'}")
        try:
            self.env.pulumi.up(self.stack)
        except PulumiError as problem:
            raise CannotProceedError(str(problem)) from None
        config = self.config()
        try:
            check = check_deployed(
                self.env.elbv2,
                expected_outputs(self.deployed, weights),
                config,
                settle_seconds=self.env.settle_seconds,
                sleep=self.env.sleep,
                clock=lambda: self.env.clock().timestamp(),
                override_rules=False,
            )
        except AwsReadError as problem:
            raise CannotProceedError(f"cannot verify the deployed weights: {problem}") from None
        if check.differences:
            raise CannotProceedError(
                f"after `pulumi up` the listener does not match the stack file ({'; '.join(d.text() for d in check.differences)}) "
                f"after {self.env.settle_seconds:g} s: something else changes this listener (a console edit, another "
                "pipeline) or the provider recorded a different weight (pulumi-aws#5772)"
            )
        self.env.status.say(f"verified: the listener forwards {show_weights(check.weights)}")
        for health in check.health:
            if not health.ok and weights.get(health.variant, 0) > 0:
                self.note(f"{health.variant} has weight {weights[health.variant]} but {health.summary()} (target health after the apply)")
        return check

    def scale_ahead(self, variant: str, share: Fraction) -> dict[str, Any] | None:
        """Before `variant`'s share rises to `share` percent: if it is a container variant, run the
        tasks that share needs (`ab_routing.rollout.capacity`). What was done, for the record; None
        for other variants. CannotProceedError when AWS cannot be read or the tasks do not start."""
        settings = next((v.container for v in self.config().variants if v.name == variant), None)
        if settings is None:
            return None
        deployed = self.deployed.variant(variant)
        if deployed is None or not deployed.ecs_cluster or not deployed.ecs_service or self.env.ecs is None:
            self.note(
                f"the stack outputs name no ECS service for {variant} (`ecsCluster`, `ecsService`): it is not scaled ahead of its "
                "weight (deploy the stack with this program version); target tracking follows the traffic in minutes"
            )
            return None
        until = floor_minute(self.env.clock())
        try:
            busiest = self.env.signals.busiest_minute(self.deployed.load_balancer_arn_suffix, until - LOOKBACK, until)
        except SignalError as problem:
            raise CannotProceedError(f"cannot read the load balancer's request rate to scale {variant} ahead: {problem}") from None
        need = tasks_needed(busiest, share, settings.target_requests_per_target, settings.min_count, settings.max_count)
        if need.capped:
            self.note(
                f"at {float(share):g}% {variant} needs {need.wanted} task(s) for the busiest minute of the last "
                f"{LOOKBACK.seconds // 60} ({busiest} requests) at {settings.target_requests_per_target} requests per task, "
                f"but maxCount is {settings.max_count}: its tasks will run above their target load"
            )
        try:
            if self.env.autoscaling is not None:
                self.floors[variant] = (deployed.ecs_cluster, deployed.ecs_service, settings.min_count)
            counts = scale_up(
                self.env.ecs,
                deployed.ecs_cluster,
                deployed.ecs_service,
                need.tasks,
                clock=lambda: self.env.clock().timestamp(),
                sleep=self.env.sleep,
                say=self.env.status.say,
                timeout=self.env.scale_timeout_seconds,
                autoscaling=self.env.autoscaling,
            )
        except ScaleError as problem:
            raise CannotProceedError(f"could not scale {variant} up before raising its weight: {problem}") from None
        self.env.status.say(f"{variant} runs {counts.running} task(s) for {float(share):g}% (busiest minute: {busiest} requests)")
        return {
            "busiestMinuteRequests": busiest,
            "tasksNeeded": need.tasks,
            "tasksRunning": counts.running,
            "floorHeld": variant in self.floors,
        }

    def release_floors(self) -> dict[str, int]:
        """Put every autoscaling floor this command raised back to the config's minCount (target
        tracking owns the count again); variant -> minCount of those put back. A failure is noted
        with how to fix it, never raised: the traffic move itself is already decided."""
        released: dict[str, int] = {}
        for variant, (cluster, service, min_count) in sorted(self.floors.items()):
            try:
                set_floor(self.env.autoscaling, cluster, service, min_count)
                released[variant] = min_count
            except ScaleError as problem:
                self.note(
                    f"could not put {variant}'s autoscaling floor back to minCount {min_count} ({problem}); "
                    "`pulumi up --refresh` restores it from the stack"
                )
        self.floors.clear()
        return released

    def settle_file(self) -> tuple[dict[str, int], bool] | None:
        """Put the stack file in line with what is deployed; the deployed state, or None if unreadable."""
        try:
            weights, sticky = self.read()
        except CannotProceedError as problem:
            self.notes.append(f"{problem}; the stack file was left as it is")
            return None
        known = {v.name for v in self.deployed.variants}
        try:
            self.write({n: w for n, w in weights.items() if n in known}, sticky=sticky)
        except CannotProceedError as problem:
            self.notes.append(f"could not put the stack file in line with the deployed weights: {problem}")
        return weights, sticky

    def deployed_text(self) -> str:
        try:
            weights, sticky = self.read()
        except CannotProceedError as problem:
            return f"the deployed weights are unknown ({problem})"
        return f"deployed now: {show_weights(weights)}; stickiness {'on' if sticky else 'off'}"


@dataclass
class Rollout:
    ops: StackOps
    variant: str
    settings: RolloutSettings
    command: str = "rollout"
    record: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, int] = field(default_factory=dict)
    """The other variants' weights when this run started: what a rollback restores."""
    stickiness_turned_off: bool = False
    rolling_back: str | None = None
    """The breach being handled, while the rollback is applied."""

    @property
    def env(self) -> Env:
        return self.ops.env

    def _start_record(self) -> None:
        s = self.settings
        self.record.update(
            command=self.command,
            stack=self.ops.stack,
            variant=self.variant,
            started=iso(self.env.clock()),
            settings={
                "steps": list(s.steps),
                "bakeSeconds": s.bake_seconds,
                "minRequests": s.min_requests,
                "maxDurationSeconds": s.max_duration_seconds,
            },
            steps=[],
            notes=self.ops.notes,
        )

    def run(self) -> int:
        """Run the whole rollout; returns the exit code. The record is appended whatever happens."""
        self._start_record()
        code = EXIT_FAILURE
        try:
            try:
                self._steps()
                self._finish("done", None)
                code = EXIT_OK
            except BreachError as breach:
                self._roll_back(str(breach))
                code = EXIT_CHECK_FAILED
        except KeyboardInterrupt:
            self._interrupted()
        except CannotProceedError as problem:
            self._cannot_proceed(str(problem))
        finally:
            self.env.status.stop()
            released = self.ops.release_floors()
            if released:
                self.record["floorsReleased"] = released
            path = append_record(self.ops.directory, self.record)
            self.env.status.say(f"recorded in {path.relative_to(self.ops.directory) if path.is_relative_to(self.ops.directory) else path}")
        return code

    def _finish(self, outcome: str, reason: str | None) -> None:
        self.record.update(outcome=outcome, reason=reason, finished=iso(self.env.clock()))
        sticky: bool | None = None
        try:
            weights, sticky = self.ops.read()
            self.record.update(deployedWeights=weights, stickinessEnabled=sticky)
        except CannotProceedError as problem:
            self.record.update(deployedWeights=None, stickinessEnabled=None)
            self.ops.notes.append(str(problem))
        self.record["stickinessTurnedOff"] = still_turned_off(self.ops.directory, self.ops.stack, self.stickiness_turned_off, sticky)

    def _steps(self) -> None:
        weights, sticky = self.ops.read()
        known = {v.name for v in self.ops.deployed.variants}
        if set(weights) != known:
            raise CannotProceedError(
                f"the listener forwards to {sorted(weights)} but the stack outputs list {sorted(known)}; run `pulumi up` first"
            )
        self.record["from"] = weights
        in_file = {v.name: v.weight for v in self.ops.config().variants}
        if in_file != weights:
            self.ops.note(
                f"Pulumi.{self.ops.stack}.yaml has weights {show_weights(in_file)} but the listener forwards "
                f"{show_weights(weights)}; starting from the deployed weights"
            )
        self.baseline = {n: w for n, w in weights.items() if n != self.variant}
        previous = last_record(self.ops.directory, self.ops.stack)
        want_sticky = sticky
        if not sticky and previous and previous.get("stickinessTurnedOff"):
            want_sticky = True
            self.ops.note("stickiness was turned off by the last rollback; this rollout turns it back on")
        start_percent = percent_of(weights, self.variant)
        steps = [s for s in self.settings.steps if s >= start_percent]
        if start_percent > 0:
            self.env.status.say(f"{self.variant} has {float(start_percent):g}% of traffic now; steps from here: {steps}")
        current = weights
        for percent in steps:
            desired = step_weights({**self.baseline, self.variant: 0}, self.variant, percent)
            step: dict[str, Any] = {"percent": percent, "weights": desired}
            self.record["steps"].append(step)
            self.env.status.say(f"step {len(self.record['steps'])}/{len(steps)}: {self.variant} to {percent}%")
            if desired != current or sticky != want_sticky:
                step["result"] = "applying"
                if percent_of(desired, self.variant) > percent_of(current, self.variant):
                    capacity = self.ops.scale_ahead(self.variant, percent_of(desired, self.variant))
                    if capacity:
                        step["capacity"] = capacity
                self.ops.apply(desired, want_sticky)
                current, sticky = desired, want_sticky
            else:
                self.ops.write(desired, sticky=sticky)
                self.env.status.say(f"already deployed: {show_weights(desired)}; baking again")
            verified = self.env.clock()
            start = ceil_minute(verified)
            self.ops.write(start=iso(start))
            step.update(verifiedAt=iso(verified), experimentStart=iso(start), result="baking")
            self._bake(step, desired, sticky, verified, start)
            step["result"] = "passed"

    def _bake(self, step: dict[str, Any], weights: Mapping[str, int], sticky: bool, verified: datetime, start: datetime) -> None:
        ops, env, s = self.ops, self.env, self.settings
        target = ops.deployed.variant(self.variant)
        assert target is not None
        alarms = dict(ops.deployed.alarms.get(self.variant, {}))
        if not alarms:
            ops.note(
                f"the stack outputs have no `alarms` for {self.variant}: its alarms are not watched (deploy the stack "
                "with a program version that exports them); the verdict and target health still are"
            )
        if sticky:
            ops.note(
                "stickiness is on: returning clients keep their variant, so the observed split lags the weights; "
                "the split check is shown but is not a breach"
            )
        source: VerdictSource = env.verdicts
        with_weights = getattr(source, "with_weights", None)
        if callable(with_weights):
            source = cast(VerdictSource, with_weights(dict(weights)))
        state: dict[str, Any] = {"requests": 0, "verdict": NO_DECISION, "next": verified, "split": ""}
        blind = 0

        def render() -> str:
            now = env.clock()
            nxt = max(0.0, (state["next"] - now).total_seconds())
            return (
                f"step {len(self.record['steps'])} {self.variant} {step['percent']}% | elapsed "
                f"{format_duration((now - verified).total_seconds())} of {format_duration(s.bake_seconds)} | requests "
                f"{state['requests']}/{s.min_requests} | next check {format_duration(nxt)} | verdict {state['verdict']}{state['split']}"
            )

        env.status.start(render)
        while True:
            now = env.clock()
            elapsed = (now - verified).total_seconds()
            try:
                states = env.signals.alarm_states(list(alarms.values()))
                for role, name in sorted(alarms.items()):
                    if states.get(name) == "ALARM":
                        raise BreachError(f"alarm {name} ({role}) in ALARM at {iso(now)}")
                health = env.signals.health(target.target_group_arn or "")
                if health.checked and health.healthy == 0:
                    raise BreachError(f"no healthy target in {self.variant}'s target group ({health.registered} registered) at {iso(now)}")
                verdict = source.verdict(self.variant, start, now)
                state["verdict"] = verdict.verdict
                if verdict.verdict == ROLL_BACK:
                    raise BreachError(f"report verdict 'roll back' at {iso(now)}: {verdict.reason}")
                if verdict.split_mismatch:
                    if not sticky:
                        raise BreachError(f"the observed split does not match the weights (stickiness off) at {iso(now)}")
                    state["split"] = " (split lags the weights: stickiness on, not a breach)"
                state["requests"] = env.signals.requests(
                    ops.deployed.load_balancer_arn_suffix, target.target_group_arn_suffix, start, floor_minute(now)
                )
                blind = 0
            except SignalError as problem:
                blind += 1
                env.status.say(f"could not check ({problem}); {MAX_BLIND_CHECKS - blind} more tries")
                if blind >= MAX_BLIND_CHECKS:
                    raise CannotProceedError(f"AWS could not be read for {blind} checks in a row: {problem}") from None
            step.update(requests=state["requests"], verdict=state["verdict"], bakedSeconds=int(elapsed))
            if blind == 0 and elapsed >= s.bake_seconds and state["requests"] >= s.min_requests:
                step["passedAt"] = iso(now)
                env.status.stop()
                env.status.say(f"step passed: {state['requests']} requests in {format_duration(elapsed)}, verdict {state['verdict']}")
                return
            if elapsed >= s.max_duration_seconds:
                step["result"] = "timed out"
                raise BreachError(
                    f"only {state['requests']} of {s.min_requests} requests reached {self.variant} in "
                    f"{format_duration(s.max_duration_seconds)} (maxDuration): no traffic is no evidence"
                )
            wait = float(CHECK_SECONDS)
            for deadline in (s.bake_seconds, s.max_duration_seconds):
                if elapsed < deadline:
                    wait = min(wait, deadline - elapsed)
            state["next"] = now + timedelta(seconds=wait)
            env.status.checked()
            env.sleep(wait)

    def commands(self, command: str) -> str:
        return f"python -m ab_routing {command} --stack {self.ops.stack} --variant {self.variant}"

    def rollback_weights(self) -> dict[str, int]:
        others = self.baseline if sum(self.baseline.values()) > 0 else split(100, self.baseline)
        return {**others, self.variant: 0}

    def _roll_back(self, reason: str) -> None:
        self.env.status.stop()
        if self.record["steps"] and self.record["steps"][-1].get("result") in ("baking", "applying"):
            self.record["steps"][-1]["result"] = "breach"
        self.env.status.say(f"BREACH: {reason}")
        weights = self.rollback_weights()
        self.rolling_back = reason
        self.env.status.say(f"rolling back: {self.variant} to 0, stickiness off so sticky clients leave it now")
        _, sticky_before = self.ops.read()
        try:
            self.ops.apply(weights, False)
        except CannotProceedError as problem:
            raise CannotProceedError(f"{reason}; rolling back failed: {problem}") from None
        self.stickiness_turned_off = sticky_before or self.stickiness_turned_off
        self._finish("rolled back", reason)
        self.env.status.say(
            f"rolled back {self.variant}: {show_weights(weights)}, stickiness off"
            + (" (the next rollout turns it back on)" if self.record.get("stickinessTurnedOff") else "")
            + f". Reason: {reason}"
        )

    def _interrupted(self) -> None:
        self.env.status.stop()
        step = self.record["steps"][-1] if self.record["steps"] else None
        if step:
            step["result"] = "interrupted"
        state = self.ops.settle_file()
        self._finish("interrupted", "interrupted by the user (Ctrl-C)")
        where = f"during step {len(self.record['steps'])} ({step['percent']}%)" if step else "before the first step"
        if self.rolling_back:
            where += f", while rolling back ({self.rolling_back}): finish the rollback with the second command"
        deployed = (
            f"deployed: {show_weights(state[0])}; stickiness {'on' if state[1] else 'off'}; Pulumi.{self.ops.stack}.yaml now matches it"
            if state
            else "; ".join(self.ops.notes[-1:])
        )
        self.env.status.say(
            f"interrupted {where}. {deployed}.\n"
            f"  resume (from the deployed weights): {self.commands('rollout')}\n"
            f"  roll back now:                      {self.commands('rollback')}"
        )
        self.record["message"] = f"interrupted {where}"

    def _cannot_proceed(self, reason: str) -> None:
        self.env.status.stop()
        if self.record["steps"] and self.record["steps"][-1].get("result") in ("baking", "applying"):
            self.record["steps"][-1]["result"] = "failed"
        state = self.ops.settle_file()
        self._finish("failed", reason)
        tail = (
            f"deployed now: {show_weights(state[0])}; stickiness {'on' if state[1] else 'off'}; Pulumi.{self.ops.stack}.yaml matches it"
            if state
            else "; ".join(self.ops.notes[-1:])
        )
        self.record["message"] = f"{reason}; {tail}"


def move(
    ops: StackOps,
    command: str,
    variant: str,
    weights: Mapping[str, int],
    sticky: bool,
    *,
    control: str | None = None,
    reason: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """rollback / promote: one apply and verify; (exit code, record). The record is appended. A
    container variant whose share rises is scaled up first (`StackOps.scale_ahead`)."""
    record: dict[str, Any] = {
        "command": command,
        "stack": ops.stack,
        "variant": variant,
        "started": iso(ops.env.clock()),
        "notes": ops.notes,
    }
    code = EXIT_FAILURE
    turned_off_now = False
    try:
        before, sticky_before = ops.read()
        record["from"] = before
        if percent_of(weights, variant) > percent_of(before, variant):
            capacity = ops.scale_ahead(variant, percent_of(weights, variant))
            if capacity:
                record["capacity"] = capacity
        ops.apply(weights, sticky, control=control)
        record.update(outcome="done", reason=reason)
        turned_off_now = sticky_before and not sticky
        code = EXIT_OK
    except KeyboardInterrupt:
        state = ops.settle_file()
        record.update(
            outcome="interrupted", message=f"interrupted; {'deployed: ' + show_weights(state[0]) if state else 'deployed weights unknown'}"
        )
    except CannotProceedError as problem:
        state = ops.settle_file()
        tail = f"deployed now: {show_weights(state[0])}; stickiness {'on' if state[1] else 'off'}" if state else "; ".join(ops.notes[-1:])
        record.update(outcome="failed", reason=str(problem), message=f"{problem}; {tail}")
    sticky_now: bool | None = None
    try:
        weights_now, sticky_now = ops.read()
        record.update(deployedWeights=weights_now, stickinessEnabled=sticky_now)
    except CannotProceedError:
        record.update(deployedWeights=None, stickinessEnabled=None)
    record["stickinessTurnedOff"] = still_turned_off(ops.directory, ops.stack, turned_off_now, sticky_now)
    released = ops.release_floors()
    if released:
        record["floorsReleased"] = released
    record["finished"] = iso(ops.env.clock())
    append_record(ops.directory, record)
    record["recordFile"] = str(record_path(ops.directory))
    return code, record
