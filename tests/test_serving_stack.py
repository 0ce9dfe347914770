"""Served variants under Pulumi mocks: the demo functions and Fargate services the program
registers, their key inputs, least-privilege IAM, autoscaling, and the weight-shift rule.

One run of a stack holding every kind of variant (`mixed`) feeds most tests; the weight shift
adds one more run, the demo example one more.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ab_routing.mocks import PlaceholderMocks, Registration
from ab_routing.offline import OfflineRun, run_offline
from ab_routing.plan import build_plan
from ab_routing.resources.network import NetworkMismatchError
from ab_routing.serving.policies import ECR_PULL_ACTIONS, ECR_TOKEN_ACTION, LOG_WRITE_ACTIONS
from ab_routing.stackfiles import read_stack
from ab_routing.tags import VARIANT
from tests.serving_support import ECR_IMAGE, LONG_NAME, TASK_SUBNETS, mixed_raw
from tests.support import ALB, EGRESS, INGRESS, SECURITY_GROUP, TARGET_GROUP, by_type, registrations, run, stack_config

ROOT = Path(__file__).resolve().parent.parent
FUNCTION = "aws:lambda/function:Function"
PERMISSION = "aws:lambda/permission:Permission"
ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
CLUSTER = "aws:ecs/cluster:Cluster"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
SCALABLE_TARGET = "aws:appautoscaling/target:Target"
SCALING_POLICY = "aws:appautoscaling/policy:Policy"


@pytest.fixture(scope="module")
def mixed() -> OfflineRun:
    return run(mixed_raw())


def placeholder(typ: str, name: str) -> dict[str, Any]:
    """The outputs the mocks gave a resource (its ARN, name), to check what references it."""
    return PlaceholderMocks("us-east-1").placeholder(typ, name, {})[1]


def get(result: OfflineRun, typ: str, name: str) -> Registration:
    return by_type(result, typ)[name]


def urn_of(result: OfflineRun, typ: str, name: str) -> str:
    return get(result, typ, name).urn


# -- demo variants ------------------------------------------------------------------------------


def test_each_demo_variant_gets_function_role_logs_permission_and_registration(mixed: OfflineRun) -> None:
    for typ in (FUNCTION, ROLE, ROLE_POLICY, LOG_GROUP, PERMISSION, ATTACHMENT):
        assert {"challenger-demo", "canary-demo"} <= set(by_type(mixed, typ)), typ
    assert set(by_type(mixed, FUNCTION)) == {"challenger-demo", "canary-demo"}


def test_demo_function_runs_the_handler_on_a_current_python_with_its_settings(mixed: OfflineRun) -> None:
    f = get(mixed, FUNCTION, "challenger-demo").inputs
    assert re.fullmatch(r"python3\.(1[2-9]|[2-9][0-9])", f["runtime"]) and f["handler"] == "handler.handler"
    assert (f["timeout"], f["memorySize"], f["reservedConcurrentExecutions"]) == (5, 128, 5)
    assert f["environment"]["variables"] == {
        "DEMO_VARIANT": "challenger", "DEMO_ERROR_RATE": "0.05", "DEMO_LATENCY_MS": "120", "DEMO_HEALTH_PATH": "/ping",
    }  # fmt: skip
    log_group = get(mixed, LOG_GROUP, "challenger-demo").inputs
    assert f["loggingConfig"]["logGroup"].startswith(log_group["namePrefix"])
    assert log_group["retentionInDays"] == 14
    assert get(mixed, ROLE, "challenger-demo").urn in get(mixed, FUNCTION, "challenger-demo").dependencies


def test_no_reserved_concurrency_unless_opted_in(mixed: OfflineRun) -> None:
    assert "reservedConcurrentExecutions" not in get(mixed, FUNCTION, "canary-demo").inputs


def test_demo_code_is_the_handler_file_and_nothing_machine_specific(mixed: OfflineRun) -> None:
    code = get(mixed, FUNCTION, "canary-demo").inputs["code"]
    assert list(code["assets"]) == ["handler.py"]
    text = code["assets"]["handler.py"]["text"]
    assert text == (ROOT / "ab_routing/serving/demo_handler.py").read_text(encoding="utf-8")
    assert str(ROOT) not in json.dumps(code) and "path" not in code["assets"]["handler.py"]


def test_alb_may_invoke_the_function_only_from_the_variants_target_group(mixed: OfflineRun) -> None:
    groups = mixed.outputs["variants"]
    for name in ("challenger", "canary"):
        permission = get(mixed, PERMISSION, f"{name}-demo")
        assert permission.inputs["principal"] == "elasticloadbalancing.amazonaws.com"
        assert permission.inputs["action"] == "lambda:InvokeFunction"
        assert permission.inputs["sourceArn"] == groups[name]["targetGroupArn"]
        attachment = get(mixed, ATTACHMENT, f"{name}-demo")
        assert attachment.inputs["targetGroupArn"] == groups[name]["targetGroupArn"]
        assert attachment.inputs["targetId"] == placeholder(FUNCTION, f"{name}-demo")["arn"]
        assert permission.urn in attachment.dependencies  # AWS checks the permission when registering


def test_demo_target_groups_are_lambda_groups_with_health_checks_on(mixed: OfflineRun) -> None:
    for name in ("challenger", "canary"):
        group = get(mixed, TARGET_GROUP, name).inputs
        assert group["targetType"] == "lambda" and "port" not in group and "vpcId" not in group
        assert group["healthCheck"]["enabled"] is True and group["healthCheck"]["path"] == "/ping"


# -- container variants -------------------------------------------------------------------------


def test_one_cluster_for_the_container_variants_and_a_service_per_variant(mixed: OfflineRun) -> None:
    assert set(by_type(mixed, CLUSTER)) == {"ab-routing"}
    assert set(by_type(mixed, SERVICE)) == {LONG_NAME}
    assert set(by_type(mixed, TASK_DEFINITION)) == {LONG_NAME}


def test_outputs_name_each_container_variants_cluster_and_service_for_rollout(mixed: OfflineRun) -> None:
    variants = mixed.outputs["variants"]
    service = placeholder(SERVICE, LONG_NAME)
    assert variants[LONG_NAME]["ecsCluster"] == placeholder(CLUSTER, "ab-routing")["name"]
    assert variants[LONG_NAME]["ecsService"] == service["name"] and service["name"]
    others = [name for name in variants if name != LONG_NAME]
    assert others and all("ecsCluster" not in variants[n] and "ecsService" not in variants[n] for n in others)


def test_task_subnets_are_looked_up_and_the_plan_goes_on_when_they_are_in_the_vpc_and_two_zones(mixed: OfflineRun) -> None:
    lookups = [x.args["id"] for x in mixed.recording.lookups if x.token == "aws:ec2/getSubnet:getSubnet"]
    assert set(TASK_SUBNETS) <= set(lookups)


def test_task_subnets_of_another_vpc_or_of_one_zone_fail_at_preview() -> None:
    one_zone = dict.fromkeys(TASK_SUBNETS, "us-east-1a")
    with pytest.raises(NetworkMismatchError) as caught:
        run_offline(stack_config(mixed_raw()), subnet_vpcs={TASK_SUBNETS[1]: "vpc-0other111"}, subnet_zones=one_zone)
    message = str(caught.value)  # every problem in one message
    assert f"{TASK_SUBNETS[1]} is in vpc-0other111, not network.vpcId" in message
    assert "every subnet is in us-east-1a: one zone's outage would stop the variant's tasks" in message


def test_service_is_fargate_in_the_task_subnets_behind_the_fleet_group(mixed: OfflineRun) -> None:
    service = get(mixed, SERVICE, LONG_NAME)
    s = service.inputs
    assert (s["launchType"], s["platformVersion"], s["schedulingStrategy"]) == ("FARGATE", "LATEST", "REPLICA")
    network = s["networkConfiguration"]
    assert network["subnets"] == TASK_SUBNETS and network["assignPublicIp"] is False
    tasks_group = get(mixed, SECURITY_GROUP, "ab-routing-tasks")
    fleet_group_id = mixed.outputs["targetSecurityGroupId"]
    assert network["securityGroups"][0] == fleet_group_id and len(network["securityGroups"]) == 2
    assert tasks_group.urn in service.dependencies
    assert s["loadBalancers"] == [
        {"targetGroupArn": mixed.outputs["variants"][LONG_NAME]["targetGroupArn"], "containerName": "model", "containerPort": 9000}
    ]
    assert (s["desiredCount"], s["healthCheckGracePeriodSeconds"], s["availabilityZoneRebalancing"]) == (3, 120, "ENABLED")
    group = get(mixed, TARGET_GROUP, LONG_NAME).inputs
    assert (group["targetType"], group["port"], group["healthCheck"]["path"]) == ("ip", 9000, "/health")


def test_a_bad_image_rolls_back_and_never_takes_the_variant_down(mixed: OfflineRun) -> None:
    service = get(mixed, SERVICE, LONG_NAME)
    assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (service.inputs["deploymentMinimumHealthyPercent"], service.inputs["deploymentMaximumPercent"]) == (100, 200)
    assert service.inputs["waitForSteadyState"] is True  # a failed rollout fails `pulumi up`
    assert service.ignore_changes == ("desiredCount",)  # autoscaling owns the count
    assert urn_of(mixed, ALB, "ab-routing") in service.dependencies  # the target group has a listener first


def test_task_definition_runs_the_image_with_its_port_environment_and_logs(mixed: OfflineRun) -> None:
    t = get(mixed, TASK_DEFINITION, LONG_NAME).inputs
    assert (t["cpu"], t["memory"], t["networkMode"], t["requiresCompatibilities"]) == ("1024", "3072", "awsvpc", ["FARGATE"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,255}", t["family"]) and t["family"] == f"ab-routing-dev-{LONG_NAME}"
    assert "taskRoleArn" not in t  # the model gets no AWS permissions
    assert t["executionRoleArn"] == placeholder(ROLE, f"{LONG_NAME}-task-execution")["arn"]
    (container,) = json.loads(t["containerDefinitions"])
    assert container["image"] == ECR_IMAGE and container["essential"] is True
    assert container["portMappings"] == [{"containerPort": 9000, "protocol": "tcp"}]
    assert container["environment"] == [{"name": "LOG_LEVEL", "value": "info"}, {"name": "MODEL_NAME", "value": "fraud"}]
    options = container["logConfiguration"]["options"]
    log_group = get(mixed, LOG_GROUP, f"{LONG_NAME}-tasks").inputs
    assert options["awslogs-group"].startswith(log_group["namePrefix"]) and options["awslogs-region"] == "us-east-1"
    assert log_group["retentionInDays"] == 30


def test_autoscaling_tracks_requests_per_task_between_min_and_max(mixed: OfflineRun) -> None:
    target = get(mixed, SCALABLE_TARGET, LONG_NAME).inputs
    assert (target["serviceNamespace"], target["scalableDimension"]) == ("ecs", "ecs:service:DesiredCount")
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)
    assert re.fullmatch(rf"service/ab-routing-[0-9a-f]+/{LONG_NAME}-[0-9a-f]+", target["resourceId"])
    policy = get(mixed, SCALING_POLICY, f"{LONG_NAME}-requests").inputs
    assert policy["policyType"] == "TargetTrackingScaling" and policy["resourceId"] == target["resourceId"]
    tracking = policy["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == 250
    metric = tracking["predefinedMetricSpecification"]
    assert metric["predefinedMetricType"] == "ALBRequestCountPerTarget"
    expected = f"{mixed.outputs['loadBalancerArnSuffix']}/{mixed.outputs['variants'][LONG_NAME]['targetGroupArnSuffix']}"
    assert metric["resourceLabel"] == expected
    assert re.fullmatch(r"app/[^/]+/[0-9a-f]+/targetgroup/[^/]+/[0-9a-f]+", expected)


# -- IAM: least privilege -----------------------------------------------------------------------


def policy_of(result: OfflineRun, name: str) -> list[dict[str, Any]]:
    document = json.loads(get(result, ROLE_POLICY, name).inputs["policy"])
    assert document["Version"] == "2012-10-17"
    return document["Statement"]


def actions(statement: dict[str, Any]) -> set[str]:
    value = statement["Action"]
    return {value} if isinstance(value, str) else set(value)


def assert_least_privilege(statements: list[dict[str, Any]]) -> None:
    for statement in statements:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        assert not any("*" in action for action in actions(statement)), statement
        if statement["Resource"] == "*":
            assert actions(statement) == {ECR_TOKEN_ACTION}, "only the ECR token may be unscoped"


def test_demo_role_may_only_write_its_own_log_group(mixed: OfflineRun) -> None:
    for name in ("challenger", "canary"):
        (statement,) = policy_of(mixed, f"{name}-demo")
        assert_least_privilege([statement])
        assert actions(statement) == set(LOG_WRITE_ACTIONS)
        prefix = get(mixed, LOG_GROUP, f"{name}-demo").inputs["namePrefix"]
        assert re.fullmatch(rf"arn:aws:logs:us-east-1:\d{{12}}:log-group:{re.escape(prefix)}[0-9a-f]+:\*", statement["Resource"])
        trust = json.loads(get(mixed, ROLE, f"{name}-demo").inputs["assumeRolePolicy"])["Statement"]
        assert trust == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]


def test_task_execution_role_may_only_pull_its_repository_and_write_its_logs(mixed: OfflineRun) -> None:
    statements = policy_of(mixed, f"{LONG_NAME}-task-execution")
    assert_least_privilege(statements)
    granted = {(action, s["Resource"]) for s in statements for action in actions(s)}
    log_resource = next(s["Resource"] for s in statements if actions(s) == set(LOG_WRITE_ACTIONS))
    repository = "arn:aws:ecr:us-east-1:123456789012:repository/fraud-model"
    assert granted == {
        *((a, log_resource) for a in LOG_WRITE_ACTIONS),
        (ECR_TOKEN_ACTION, "*"),
        *((a, repository) for a in ECR_PULL_ACTIONS),
    }
    assert ":log-group:/ab-routing/dev/" in log_resource and log_resource.endswith(":*")
    trust = json.loads(get(mixed, ROLE, f"{LONG_NAME}-task-execution").inputs["assumeRolePolicy"])["Statement"]
    assert [t["Principal"] for t in trust] == [{"Service": "ecs-tasks.amazonaws.com"}]


# -- network and names --------------------------------------------------------------------------


def test_no_new_open_ingress_and_tasks_only_reach_out_over_https(mixed: OfflineRun) -> None:
    rules = by_type(mixed, INGRESS)
    open_rules = {name: r.inputs for name, r in rules.items() if "cidrIpv4" in r.inputs or "cidrIpv6" in r.inputs}
    assert set(open_rules) == {"ab-routing-in-80-0-0-0-0-0"}  # the listener, as before
    fleet = {r.inputs["fromPort"] for name, r in rules.items() if name.startswith("ab-routing-targets-in-")}
    assert fleet == {8080, 9000}  # the ALB may reach the container port, from its own group only
    tasks_group = urn_of(mixed, SECURITY_GROUP, "ab-routing-tasks")
    assert not [r for r in rules.values() if tasks_group in r.dependencies]
    egress = get(mixed, EGRESS, "ab-routing-tasks-out-443").inputs
    assert (egress["ipProtocol"], egress["fromPort"], egress["toPort"]) == ("tcp", 443, 443)


def test_names_fit_aws_limits_even_for_the_longest_variant_name(mixed: OfflineRun) -> None:
    # Auto-names are the logical name plus "-" and 7 characters.
    limits = {
        FUNCTION: (64, r"[A-Za-z0-9_-]+"),
        ROLE: (64, r"[\w+=,.@-]+"),
        SERVICE: (255, r"[A-Za-z0-9_-]+"),
        CLUSTER: (255, r"[A-Za-z0-9_-]+"),
    }
    for typ, (limit, pattern) in limits.items():
        for name in by_type(mixed, typ):
            assert len(name) + 8 <= limit and re.fullmatch(pattern, name), (typ, name)
    for registration in by_type(mixed, LOG_GROUP).values():
        prefix = registration.inputs["namePrefix"]
        assert re.fullmatch(r"[A-Za-z0-9._/#-]+", prefix) and len(prefix) + 26 <= 512
    for registration in by_type(mixed, ROLE).values():
        assert len(registration.inputs["description"]) <= 1000
    assert len(get(mixed, FUNCTION, "canary-demo").inputs["description"]) <= 256


# -- weight shift and the demo example ----------------------------------------------------------


def test_weight_shift_with_demo_and_container_variants_updates_only_the_listener(mixed: OfflineRun) -> None:
    raw = mixed_raw()
    raw["variants"]["challenger"]["weight"] = 40
    before, after = registrations(mixed), registrations(run(raw))
    assert before.keys() == after.keys()  # nothing added or removed
    diff = {urn for urn in before if before[urn] != after[urn]}
    assert len(diff) == 1 and f"${ALB}::" in next(iter(diff))
    (urn,) = diff
    assert {k for k in before[urn].keys() | after[urn].keys() if before[urn].get(k) != after[urn].get(k)} == {"listeners"}


def test_demo_example_plans_two_demo_functions_in_the_default_vpc() -> None:
    document = build_plan(read_stack(ROOT, "demo"))
    types = [r["type"] for r in document["resources"]]
    assert types.count(FUNCTION) == 2 and types.count(ATTACHMENT) == 2 and SERVICE not in types
    assert "aws:ec2/getVpc:getVpc" in {lookup["token"] for lookup in document["lookups"]}  # the default VPC
    assert str(ROOT) not in json.dumps(document)


def test_every_taggable_serving_resource_carries_the_base_and_variant_tags(mixed: OfflineRun) -> None:
    from tests.test_tags import untagged

    assert untagged(mixed, "ab-routing", "dev") == []
    for typ in (FUNCTION, LOG_GROUP, ROLE, SERVICE, TASK_DEFINITION, SCALABLE_TARGET):
        for name, registration in by_type(mixed, typ).items():
            assert name.startswith(registration.inputs["tags"][VARIANT]), (typ, name)
