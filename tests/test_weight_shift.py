"""The promise behind the weight-shift workflow: one value of config changes one resource.

Two runs of the program are compared registration by registration (URN -> inputs). Under awsx the
weights live in the ApplicationLoadBalancer component's listener args; at deploy time only its
Listener child changes (no replacement: weights are an updatable property of a listener action).
"""

from __future__ import annotations

from tests.support import ALB, base_raw, registrations, run

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


def changed(before: dict, after: dict) -> set[str]:
    return {urn for urn in before.keys() | after.keys() if before.get(urn) != after.get(urn)}


def test_weight_change_touches_only_the_load_balancer_listener_args() -> None:
    raw = base_raw()
    before = registrations(run(raw))
    raw["variants"]["challenger"]["weight"] = 25
    after_run = run(raw)
    after = registrations(after_run)
    diff = changed(before, after)
    assert len(diff) == 1, diff
    (urn,) = diff
    assert f"${ALB}::" in urn
    old, new = before[urn], after[urn]
    assert {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)} == {"listeners"}
    assert [g["weight"] for g in new["listeners"][0]["defaultActions"][0]["forward"]["targetGroups"]] == [25, 90]
    assert after_run.outputs["variants"]["challenger"]["weight"] == 25


def test_rollback_with_stickiness_off_is_still_one_resource() -> None:
    raw = base_raw()
    before = registrations(run(raw))
    raw["variants"]["challenger"]["weight"] = 0
    raw["stickiness"]["enabled"] = False
    diff = changed(before, registrations(run(raw)))
    assert len(diff) == 1 and f"${ALB}::" in next(iter(diff))


def test_reordering_variants_in_yaml_changes_nothing() -> None:
    raw = base_raw()
    before = registrations(run(raw))
    raw["variants"] = dict(reversed(list(raw["variants"].items())))
    assert changed(before, registrations(run(raw))) == set()


def test_adding_a_variant_touches_only_its_own_resources_and_the_weights() -> None:
    raw = base_raw()
    before = registrations(run(raw))
    raw["variants"]["candidate"] = {"weight": 5, "port": 8080, "targets": ["i-0bbbbbbbbbbbbbbb2"]}
    after = registrations(run(raw))
    diff = changed(before, after)
    added = after.keys() - before.keys()
    assert added and all("candidate" in urn for urn in added), added
    # Besides the new variant's own resources: the weights (ALB) and the dashboard, which graphs
    # every variant. No other variant's target group, attachment, rule or alarm changes.
    assert {urn.split("::")[-2].rsplit("$", 1)[-1] for urn in diff - added} == {ALB, DASHBOARD}
    assert not before.keys() - after.keys()


def test_removing_a_variant_removes_only_its_own_resources() -> None:
    raw = base_raw()
    raw["variants"]["candidate"] = {"weight": 5, "port": 8080, "targets": ["i-0bbbbbbbbbbbbbbb2"]}
    before = registrations(run(raw))
    del raw["variants"]["candidate"]
    after = registrations(run(raw))
    removed = before.keys() - after.keys()
    assert removed and all("candidate" in urn for urn in removed)
    assert {urn.split("::")[-2].rsplit("$", 1)[-1] for urn in changed(before, after) - removed} == {ALB, DASHBOARD}
