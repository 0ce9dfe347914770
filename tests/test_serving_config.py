"""Config of served variants: `demo`, `container`, `network.taskSubnetIds`, and the rules across them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ab_routing.config import parse_config
from ab_routing.serving.fargate import ecr_repository_arn, fargate_problem, image_problem
from ab_routing.serving.settings import ContainerSettings, DemoSettings
from ab_routing.validate import ConfigError
from tests.serving_support import ECR_IMAGE, LONG_NAME, TASK_SUBNETS, mixed_raw
from tests.support import INSTANCE_C, base_raw

ROOT = Path(__file__).resolve().parent.parent


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return [str(issue) for issue in caught.value.issues]


def with_challenger(settings: dict[str, Any], **top: Any) -> dict[str, Any]:
    raw = base_raw()
    raw["variants"]["challenger"] = {"weight": 10, **settings}
    raw.update(top)
    return raw


def test_demo_true_gives_a_lambda_variant_with_defaults_and_health_checks_on() -> None:
    v = parse_config(with_challenger({"demo": True})).variant("challenger")
    assert v.demo == DemoSettings() and v.container is None
    assert v.demo is not None
    assert (v.target_type, v.port, v.protocol, v.targets) == ("lambda", None, None, ())
    assert v.health_check.enabled and v.health_check.path == "/ping"
    assert (v.demo.error_rate, v.demo.latency_ms, v.demo.reserved_concurrency) == (0.0, 50, None)


def test_demo_false_is_an_ordinary_variant() -> None:
    v = parse_config(with_challenger({"demo": False, "targets": [INSTANCE_C]})).variant("challenger")
    assert v.demo is None and v.target_type == "instance"


def test_the_mixed_stack_parses_with_each_kind_of_serving() -> None:
    config = parse_config(mixed_raw())
    container = config.variant(LONG_NAME)
    assert container.target_type == "ip" and container.port == 9000 and container.health_check.path == "/health"
    assert container.container == ContainerSettings(
        image=ECR_IMAGE, port=9000, cpu=1024, memory=3072, desired_count=3, min_count=2, max_count=6,
        target_requests_per_target=250, environment=(("LOG_LEVEL", "info"), ("MODEL_NAME", "fraud")), health_check_grace_period=120,
    )  # fmt: skip
    assert config.variant("challenger").demo == DemoSettings(error_rate=0.05, latency_ms=120, reserved_concurrency=5, timeout=5)
    assert config.network is not None and config.network.task_subnet_ids == tuple(TASK_SUBNETS)


def test_container_defaults_are_two_tasks_in_two_zones_on_the_smallest_fargate_size() -> None:
    raw = with_challenger({"container": {"image": "ghcr.io/acme/model:1.0", "assignPublicIp": True}})
    c = parse_config(raw).variant("challenger").container
    assert c == ContainerSettings(image="ghcr.io/acme/model:1.0", assign_public_ip=True)
    assert c is not None
    assert (c.port, c.cpu, c.memory, c.desired_count, c.min_count, c.max_count) == (8080, 256, 512, 2, 2, 4)


@pytest.mark.parametrize(
    ("settings", "keys"),
    [
        ({"demo": True, "targets": [INSTANCE_C]}, ("targets", "demo")),
        ({"demo": True, "container": {"image": "nginx"}}, ("demo", "container")),
        ({"targets": ["10.0.1.5"], "targetType": "ip", "container": {"image": "nginx"}}, ("targets", "container")),
    ],
)
def test_a_variant_is_one_of_targets_demo_or_container_and_the_error_names_both(settings: dict[str, Any], keys: tuple[str, str]) -> None:
    found = [p for p in problems(with_challenger(settings)) if "has both" in p]
    assert found == [f"variants.challenger: has both variants.challenger.{keys[0]} and variants.challenger.{keys[1]}; "
                     "a variant is one of targets (bring your own), demo or container"]  # fmt: skip


def test_serving_implies_the_target_type_and_rejects_another() -> None:
    assert problems(with_challenger({"demo": True, "targetType": "instance"})) == [
        'variants.challenger.targetType: got "instance"; a demo variant has target type lambda; remove targetType or set it to lambda'
    ]
    assert any(
        "a container variant has target type ip" in p
        for p in problems(with_challenger({"container": {"image": "nginx"}, "targetType": "lambda"}))
    )
    ok = parse_config(with_challenger({"demo": True, "targetType": "lambda"}))
    assert ok.variant("challenger").target_type == "lambda"


def test_a_container_variant_takes_its_port_from_the_container_only() -> None:
    raw = with_challenger({"container": {"image": "nginx", "assignPublicIp": True}, "port": 8080})
    assert problems(raw) == [
        "variants.challenger.port: got 8080; not allowed with container; the container's port "
        "(variants.challenger.container.port) is the target group's port"
    ]


def test_a_demo_takes_no_port_like_any_lambda_variant() -> None:
    assert any(p.startswith("variants.challenger.port:") for p in problems(with_challenger({"demo": True, "port": 8080})))


@pytest.mark.parametrize(
    ("cpu", "memory", "ok"),
    [
        (256, 512, True), (256, 2048, True), (256, 3072, False), (512, 4096, True), (512, 5120, False),
        (1024, 2048, True), (1024, 1024, False), (2048, 16384, True), (2048, 16896, False), (4096, 30720, True),
        (4096, 31744, False), (8192, 20480, True), (8192, 18432, False), (16384, 40960, True), (16384, 36864, False),
        (16384, 122880, True), (128, 512, False), (3072, 8192, False),
    ],
)  # fmt: skip
def test_fargate_cpu_memory_pairs_follow_the_ecs_table(cpu: int, memory: int, ok: bool) -> None:
    assert (fargate_problem(cpu, memory) is None) is ok


def test_an_invalid_fargate_pair_names_the_allowed_memory() -> None:
    raw = with_challenger({"container": {"image": "nginx", "cpu": 256, "memory": 4096, "assignPublicIp": True}})
    assert problems(raw) == ["variants.challenger.container.memory: got 4096; Fargate allows memory 512, 1024, 2048 MiB with cpu 256"]
    raw = with_challenger({"container": {"image": "nginx", "cpu": 300, "assignPublicIp": True}})
    assert problems(raw) == ["variants.challenger.container.cpu: got 300; must be one of 256, 512, 1024, 2048, 4096, 8192, 16384"]
    # an unknown cpu is reported once, not again as a pair with the default cpu it falls back to
    raw = with_challenger({"container": {"image": "nginx", "cpu": 300, "memory": 4096, "assignPublicIp": True}})
    assert [p.split(":")[0] for p in problems(raw)] == ["variants.challenger.container.cpu"]


def test_demo_is_true_false_or_a_map_and_numbers_may_come_as_text() -> None:
    assert problems(with_challenger({"demo": "yes"})) == [
        'variants.challenger.demo: got "yes"; must be true, false or a map of the demo keys'
    ]
    v = parse_config(with_challenger({"demo": {"errorRate": "0.5", "logRetentionDays": "30"}})).variant("challenger")
    assert v.demo == DemoSettings(error_rate=0.5, log_retention_days=30)  # as `pulumi config set --path` may store them


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"desiredCount": 5}, "variants.challenger.container.desiredCount: got 5; must be within minCount (2) and maxCount (4)"),
        (
            {"desiredCount": 1, "minCount": 2},
            "variants.challenger.container.desiredCount: got 1; must be within minCount (2) and maxCount (4)",
        ),
        ({"minCount": 5, "maxCount": 3}, "variants.challenger.container.maxCount: got 3; must be at least minCount (5)"),
        ({"maxCount": 0}, "variants.challenger.container.maxCount: got 0; must be an integer from 1 to 5000"),
    ],
)
def test_desired_count_stays_within_min_and_max(counts: dict[str, int], message: str) -> None:
    raw = with_challenger({"container": {"image": "nginx", "assignPublicIp": True, **counts}})
    assert message in problems(raw)


VALID_IMAGES = [
    "nginx",
    "nginx:1.27-alpine",
    "library/nginx:latest",
    ECR_IMAGE,
    "public.ecr.aws/docker/library/python:3.13-slim",
    "ghcr.io/acme/fraud_model/v2:2024.06.01",
    "localhost:5000/model",
    "registry.example.com:8443/team/model@sha256:" + "a" * 64,
    "model:v1@sha256:" + "0" * 64,
]
INVALID_IMAGES = [
    "",
    "Nginx",
    "acme/Model:1",
    "nginx:",
    "nginx:-bad",
    "nginx@sha256:xyz",
    "my model",
    " nginx",
    "ghcr.io//model",
    "ghcr.io/acme/model:" + "t" * 129,
    "a/" * 130 + "b",
]


@pytest.mark.parametrize("image", VALID_IMAGES)
def test_valid_image_references_are_accepted(image: str) -> None:
    assert image_problem(image) is None


@pytest.mark.parametrize("image", INVALID_IMAGES)
def test_invalid_image_references_are_refused(image: str) -> None:
    assert image_problem(image) is not None


WORD = st.text("abcz019", min_size=1, max_size=6)
COMPONENT = st.builds(
    lambda a, sep, b: a + sep + b if b else a, WORD, st.sampled_from([".", "_", "__", "-", "--"]), st.one_of(st.just(""), WORD)
)
TAG = st.builds(lambda a, b: a + b, st.text("Az9_", min_size=1, max_size=1), st.text("Az9_.-", max_size=20))


@given(
    st.sampled_from([None, "ghcr.io", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "localhost:5000"]),
    st.lists(COMPONENT, min_size=1, max_size=3),
    st.one_of(st.none(), TAG),
)
@settings(max_examples=25, deadline=None)
def test_any_well_formed_reference_is_accepted(domain: str | None, path: list[str], tag: str | None) -> None:
    assume(domain is not None or len(path) == 1 or "." not in path[0])  # else Docker reads path[0] as a registry
    image = "/".join([*([domain] if domain else []), *path]) + (f":{tag}" if tag else "")
    assert image_problem(image) is None, image
    shouted = "/".join([*([domain] if domain else []), *path[:-1], path[-1].upper()]) + (f":{tag}" if tag else "")
    if any(c.isalpha() for c in path[-1]):
        assert image_problem(shouted) is not None, shouted  # repository paths are lowercase


def test_ecr_images_name_their_repository_and_other_registries_none() -> None:
    assert ecr_repository_arn(ECR_IMAGE) == "arn:aws:ecr:us-east-1:123456789012:repository/fraud-model"
    assert ecr_repository_arn("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team/m@sha256:" + "b" * 64) == (
        "arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/m"
    )
    assert ecr_repository_arn("public.ecr.aws/docker/library/nginx:1") is None
    assert ecr_repository_arn("nginx") is None


def test_bad_image_is_reported_with_the_syntax() -> None:
    found = problems(with_challenger({"container": {"image": "Acme/Model", "assignPublicIp": True}}))
    assert len(found) == 1 and found[0].startswith('variants.challenger.container.image: got "Acme/Model"; must be an image reference')
    assert problems(with_challenger({"container": {"assignPublicIp": True}}))[0].startswith(
        "variants.challenger.container.image: missing; required"
    )


def test_demo_timeout_must_be_below_the_idle_timeout_and_above_the_longest_sleep() -> None:
    raw = with_challenger({"demo": {"timeout": 120}}, loadBalancer={"idleTimeout": 60})
    assert problems(raw) == [
        "variants.challenger.demo.timeout: got 120; must be below loadBalancer.idleTimeout (60), "
        "or the ALB answers 504 before the function does"
    ]
    at_limit = with_challenger({"demo": {"timeout": 60}}, loadBalancer={"idleTimeout": 60})
    assert [p.split(";")[0] for p in problems(at_limit)] == ["variants.challenger.demo.timeout: got 60"]
    assert parse_config(with_challenger({"demo": {"timeout": 59}}, loadBalancer={"idleTimeout": 60}))
    raw = with_challenger({"demo": {"timeout": 3, "latencyMs": 2000}})
    assert problems(raw) == [
        "variants.challenger.demo.timeout: got 3; must be above the longest demo sleep (1.5 x latencyMs 2000 = 3 s, rounded up)"
    ]


def test_container_variants_need_task_subnets_unless_they_get_public_ips() -> None:
    raw = with_challenger({"container": {"image": "nginx"}})
    (found,) = problems(raw)
    assert found.startswith("variants.challenger.container: needs network.taskSubnetIds") and "assignPublicIp: true" in found
    raw["network"]["taskSubnetIds"] = list(TASK_SUBNETS)
    assert parse_config(raw).network.task_subnet_ids == tuple(TASK_SUBNETS)  # type: ignore[union-attr]


def test_task_subnets_need_two_and_a_container_variant() -> None:
    raw = with_challenger({"container": {"image": "nginx"}})
    raw["network"]["taskSubnetIds"] = ["subnet-0ccc3333"]
    assert any(p.startswith('network.taskSubnetIds: got ["subnet-0ccc3333"]; at least two subnet ids') for p in problems(raw))
    raw = base_raw()
    raw["network"]["taskSubnetIds"] = [*TASK_SUBNETS, "sg-0123"]
    assert problems(raw) == [
        'network.taskSubnetIds[2]: got "sg-0123"; must be a subnet id such as subnet-0aaa1111',
        'network.taskSubnetIds: got ["subnet-0ccc3333", "subnet-0ddd4444", "sg-0123"]; only used by container variants; '
        "remove it or add a container variant",
    ]


def test_every_bad_serving_value_is_reported_at_once_with_its_key() -> None:
    raw = mixed_raw()
    raw["variants"]["challenger"]["demo"] = {"errorRate": 1.5, "latencyMs": -1, "reservedConcurrency": 0, "memory": 64,
                                             "logRetentionDays": 10, "eror": 1}  # fmt: skip
    raw["variants"][LONG_NAME]["container"]["environment"] = {"OK": "1", "THREADS": 8, "9BAD": "x"}
    raw["variants"][LONG_NAME]["container"]["assignPublicIp"] = "yes"
    found = problems(raw)
    demo, container = "variants.challenger.demo", f"variants.{LONG_NAME}.container"
    assert [p.split(":")[0] for p in found] == [
        f"{container}.environment.THREADS",
        f"{container}.environment.9BAD",
        f"{container}.assignPublicIp",
        f"{demo}.eror",
        f"{demo}.errorRate",
        f"{demo}.latencyMs",
        f"{demo}.reservedConcurrency",
        f"{demo}.memory",
        f"{demo}.logRetentionDays",
    ]
    assert "did you mean 'errorRate'" in found[3]
    assert "got 8; must be a string (quote numbers" in found[0]


def test_demo_example_stack_is_valid() -> None:
    from ab_routing.config import parse_stack_config
    from ab_routing.stackfiles import read_stack

    files = read_stack(ROOT, "demo")
    config = parse_stack_config(files.config, str(files.config["aws:region"]))
    assert [v.demo is not None for v in config.variants] == [True, True] and config.network is None
