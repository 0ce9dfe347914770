"""The S3 bucket the ALB writes its access logs to (or the user's own)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ab_routing import access_logs, naming
from ab_routing.model import AccessLogs


@dataclass(frozen=True)
class LogBucket:
    bucket: pulumi.Output[str] | None
    """The bucket name the ALB logs to; None when access logs are off."""
    prerequisites: list[pulumi.Resource] = field(default_factory=list)
    """What must exist before the ALB enables logging (AWS checks write access then)."""


def create_access_log_bucket(parent: pulumi.Resource, logs: AccessLogs, region: str, tags: Mapping[str, str]) -> LogBucket:
    """With `accessLogs.bucket` the user's bucket is used as is; otherwise one is created for ALB
    logs: SSE-S3 (ALB cannot write to KMS-encrypted buckets), no public access, owner-enforced
    objects, expiry after `retentionDays`, and a policy that denies non-TLS access and lets ELB
    deliver. The ALB depends on the policy because AWS checks write access when logs are enabled.
    """
    if not logs.enabled:
        return LogBucket(None)
    if logs.bucket:
        return LogBucket(pulumi.Output.from_input(logs.bucket))
    child = pulumi.ResourceOptions(parent=parent)
    name = f"{naming.COMPONENT_NAME}-logs"
    bucket = aws.s3.Bucket(name, force_destroy=False, tags=dict(tags), opts=child)
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
            )
        ],
        opts=child,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        name,
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    ownership = aws.s3.BucketOwnershipControls(
        name,
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    aws.s3.BucketLifecycleConfiguration(
        name,
        bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-alb-logs",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=f"{logs.prefix}/" if logs.prefix else ""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=logs.retention_days),
            )
        ],
        opts=child,
    )
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id
    policy = aws.s3.BucketPolicy(
        name,
        bucket=bucket.id,
        policy=pulumi.Output.all(bucket.arn, account).apply(
            lambda values: json.dumps(access_logs.bucket_policy(values[0], logs.prefix, values[1], region))
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access]),
    )
    return LogBucket(bucket.bucket, [policy, encryption, ownership])
