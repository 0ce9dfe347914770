"""IAM policy documents of the serving roles, as plain dicts (least privilege, pure).

- The demo function's role may only write its own log group.
- A Fargate task execution role may only write its variant's log group and, for a private ECR
  image, pull that one repository. `ecr:GetAuthorizationToken` is the one action AWS does not let
  a policy scope to a resource, so it is the only statement on `*`. Images from public registries
  need no permission at all. No task role is created: the model container gets no AWS access.

Log group ARNs are as pulumi-aws reports them (without AWS's trailing `:*`); `<arn>:*` covers the
group and its streams, which is what CreateLogStream and PutLogEvents are checked against.
"""

from __future__ import annotations

from typing import Any

VERSION = "2012-10-17"
LAMBDA_SERVICE = "lambda.amazonaws.com"
ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"
LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
ECR_TOKEN_ACTION = "ecr:GetAuthorizationToken"


def assume_role_policy(service: str) -> dict[str, Any]:
    """Trust policy: only `service` may assume the role."""
    return {
        "Version": VERSION,
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def _write_logs(log_group_arn: str) -> dict[str, Any]:
    return {"Sid": "WriteOwnLogs", "Effect": "Allow", "Action": list(LOG_WRITE_ACTIONS), "Resource": f"{log_group_arn}:*"}


def demo_function_policy(log_group_arn: str) -> dict[str, Any]:
    """The demo function's only permission: writing to its own log group (created by the stack,
    so no logs:CreateLogGroup)."""
    return {"Version": VERSION, "Statement": [_write_logs(log_group_arn)]}


def task_execution_policy(log_group_arn: str, ecr_repository_arn: str | None) -> dict[str, Any]:
    """What ECS needs to start a variant's task: its log group, and its ECR repository if any."""
    statements = [_write_logs(log_group_arn)]
    if ecr_repository_arn is not None:
        statements += [
            {"Sid": "EcrToken", "Effect": "Allow", "Action": ECR_TOKEN_ACTION, "Resource": "*"},
            {"Sid": "PullImage", "Effect": "Allow", "Action": list(ECR_PULL_ACTIONS), "Resource": ecr_repository_arn},
        ]
    return {"Version": VERSION, "Statement": statements}
