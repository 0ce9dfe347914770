"""Deterministic stand-ins for what AWS assigns at create time (ids, ARNs, names, DNS names), each in
AWS's own format for its resource type.

The offline plan shows these values and users copy them (into `--target`, dashboards, scripts), so a
placeholder that AWS could never produce (a 16-digit security-group id, an empty ACM validation
token) misleads. Every value is derived from the resource's type and logical name by a hash, so the
same config always yields the same bytes; `tests/test_urns_and_placeholders.py` checks every value
against AWS's pattern for its type.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"
PLACEHOLDER_VPC_ID = "vpc-0000000000000000a"
PLACEHOLDER_VPC_CIDR = "10.0.0.0/8"
"""A configured VPC's CIDR offline, where it cannot be known: IP targets in 10.0.0.0/8 are taken as
inside it (the plan says so); `pulumi up` places them against the real blocks."""
DEFAULT_VPC_CIDR = "172.31.0.0/16"
"""Every default VPC's block, as AWS documents it: exact offline too."""
PLACEHOLDER_SUBNETS = ("subnet-0000000000000000a", "subnet-0000000000000000b")

ELB_ZONE_IDS = {"us-east-1": "Z35SXDOTRQ7X7K"}
"""Route 53 hosted zone of ALB DNS names, per region (the one AWS documents for us-east-1)."""


def digest(*parts: str) -> str:
    """64 hex digits from the parts; slice it for ids of any length."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def letters(hex_digits: str, count: int) -> str:
    """`count` lowercase letters from hex digits (ACM's validation host labels are letters)."""
    return "".join(string.ascii_lowercase[int(hex_digits[i : i + 2], 16) % 26] for i in range(0, 2 * count, 2))


def uuid(hex_digits: str) -> str:
    """A version-4-shaped UUID (8-4-4-4-12) from 32 hex digits (ACM certificates, KMS keys, SNS subscriptions)."""
    h = hex_digits
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def autoname(name: str, h: str, limit: int) -> str:
    """Pulumi's auto-name: the logical name, a hyphen and 7 random hex digits, within AWS's length limit."""
    return f"{name[: limit - 8].rstrip('-')}-{h[:7]}"


@dataclass(frozen=True)
class Context:
    typ: str
    name: str
    inputs: Mapping[str, Any]
    region: str
    h: str

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{ACCOUNT}:{resource}"


Placeholder = tuple[str, dict[str, Any]]


def _target_group(c: Context) -> Placeholder:
    physical = str(c.inputs.get("name") or autoname(c.name, c.h, 32))
    suffix = f"targetgroup/{physical}/{c.h[16:32]}"
    arn = c.arn("elasticloadbalancing", suffix)
    return arn, {"arn": arn, "arnSuffix": suffix, "name": physical}


def _load_balancer(c: Context) -> Placeholder:
    physical = str(c.inputs.get("name") or autoname(c.name, c.h, 32))
    suffix = f"app/{physical}/{c.h[16:32]}"
    arn = c.arn("elasticloadbalancing", f"loadbalancer/{suffix}")
    internal = "internal-" if c.inputs.get("internal") else ""
    return arn, {
        "arn": arn,
        "arnSuffix": suffix,
        "name": physical,
        "dnsName": f"{internal}{physical}-{int(c.h[32:40], 16) % 10**10}.{c.region}.elb.amazonaws.com",
        "zoneId": ELB_ZONE_IDS.get(c.region, "Z" + c.h[40:53].upper()),
    }


def _listener(c: Context) -> Placeholder:
    load_balancer = str(c.inputs.get("loadBalancerArn") or _load_balancer(c)[0])
    arn = f"{load_balancer.replace(':loadbalancer/', ':listener/', 1)}/{c.h[16:32]}"
    return arn, {"arn": arn}


def _listener_rule(c: Context) -> Placeholder:
    listener = str(c.inputs.get("listenerArn") or _listener(c)[0])
    arn = f"{listener.replace(':listener/', ':listener-rule/', 1)}/{c.h[16:32]}"
    return arn, {"arn": arn}


def _security_group(c: Context) -> Placeholder:
    sg = f"sg-{c.h[:17]}"
    return sg, {"arn": c.arn("ec2", f"security-group/{sg}"), "ownerId": ACCOUNT}


def _security_group_rule(c: Context) -> Placeholder:
    rule = f"sgr-{c.h[:17]}"
    return rule, {"arn": c.arn("ec2", f"security-group-rule/{rule}"), "securityGroupRuleId": rule}


def _bucket(c: Context) -> Placeholder:
    bucket = str(c.inputs.get("bucket") or autoname(c.name, c.h, 63))
    return bucket, {
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{c.region}.amazonaws.com",
        "region": c.region,
    }


def _bucket_setting(c: Context) -> Placeholder:
    """Bucket sub-resources (policy, encryption, ...) take the bucket's name as their id."""
    return str(c.inputs.get("bucket") or autoname(c.name, c.h, 63)), {}


def _certificate(c: Context) -> Placeholder:
    arn = c.arn("acm", f"certificate/{uuid(c.h)}")
    domain = str(c.inputs.get("domainName", "")).rstrip(".")
    option = {
        "domainName": domain,
        "resourceRecordName": f"_{c.h[:32]}.{domain}.",
        "resourceRecordType": "CNAME",
        "resourceRecordValue": f"_{c.h[32:64]}.{letters(c.h, 10)}.acm-validations.aws.",
    }
    return arn, {"arn": arn, "domainValidationOptions": [option], "status": "PENDING_VALIDATION"}


def _certificate_validation(c: Context) -> Placeholder:
    arn = str(c.inputs.get("certificateArn") or _certificate(c)[0])
    return arn, {}


def _record(c: Context) -> Placeholder:
    name = str(c.inputs.get("name", "")).rstrip(".")
    return f"{c.inputs.get('zoneId')}_{name}_{c.inputs.get('type')}", {"fqdn": name}


def _topic(c: Context) -> Placeholder:
    physical = str(c.inputs.get("name") or autoname(c.name, c.h, 256))
    arn = c.arn("sns", physical)
    return arn, {"arn": arn, "name": physical}


def _subscription(c: Context) -> Placeholder:
    topic = str(c.inputs.get("topic") or c.arn("sns", autoname(c.name, c.h, 256)))
    arn = f"{topic}:{uuid(c.h)}"
    return arn, {"arn": arn}


def _dashboard(c: Context) -> Placeholder:
    name = str(c.inputs.get("dashboardName") or c.name)
    return name, {"dashboardArn": c.arn("cloudwatch", f"dashboard/{name}", region=False)}


def _alarm(c: Context) -> Placeholder:
    name = str(c.inputs.get("name") or autoname(c.name, c.h, 255))
    return name, {"arn": c.arn("cloudwatch", f"alarm:{name}"), "name": name}


def _web_acl_association(c: Context) -> Placeholder:
    return f"{c.inputs.get('webAclArn')},{c.inputs.get('resourceArn')}", {}


def _target_group_attachment(c: Context) -> Placeholder:
    """Terraform's id: the target group ARN, a hyphen and a 26-digit unique suffix (a timestamp and a counter)."""
    return f"{c.inputs.get('targetGroupArn')}-{int(c.h[:20], 16) % 10**26:026d}", {}


def _listener_certificate(c: Context) -> Placeholder:
    return f"{c.inputs.get('listenerArn')}_{c.inputs.get('certificateArn')}", {}


def _lambda_permission(c: Context) -> Placeholder:
    return str(c.inputs.get("statementId") or autoname(c.name, c.h, 100)), {}


def _kms_key(c: Context) -> Placeholder:
    key_id = uuid(c.h)
    return key_id, {"arn": c.arn("kms", f"key/{key_id}"), "keyId": key_id}


def _kms_alias(c: Context) -> Placeholder:
    name = str(c.inputs.get("name") or f"alias/{autoname(c.name, c.h, 256)}")
    return name, {"arn": c.arn("kms", name), "targetKeyArn": c.arn("kms", f"key/{uuid(c.h)}")}


def _log_group(c: Context) -> Placeholder:
    prefix = c.inputs.get("namePrefix")
    group = str(c.inputs.get("name") or (f"{prefix}{c.h[:26]}" if prefix else autoname(c.name, c.h, 512)))
    return group, {"name": group, "arn": c.arn("logs", f"log-group:{group}")}


def _role(c: Context) -> Placeholder:
    role = str(c.inputs.get("name") or autoname(c.name, c.h, 64))
    return role, {"name": role, "arn": c.arn("iam", f"role/{role}", region=False), "uniqueId": "AROA" + c.h[:17].upper()}


def _function(c: Context) -> Placeholder:
    function = str(c.inputs.get("name") or autoname(c.name, c.h, 64))
    arn = c.arn("lambda", f"function:{function}")
    invoke = f"arn:aws:apigateway:{c.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return function, {"name": function, "arn": arn, "invokeArn": invoke, "qualifiedArn": f"{arn}:$LATEST"}


def _cluster(c: Context) -> Placeholder:
    cluster = str(c.inputs.get("name") or autoname(c.name, c.h, 255))
    arn = c.arn("ecs", f"cluster/{cluster}")
    return arn, {"name": cluster, "arn": arn}


def _task_definition(c: Context) -> Placeholder:
    family = str(c.inputs.get("family") or autoname(c.name, c.h, 255))
    arn = c.arn("ecs", f"task-definition/{family}:1")
    return family, {"arn": arn, "arnWithoutRevision": arn.rsplit(":", 1)[0], "revision": 1}


def _service(c: Context) -> Placeholder:
    service = str(c.inputs.get("name") or autoname(c.name, c.h, 255))
    cluster = str(c.inputs.get("cluster") or "default").rsplit("/", 1)[-1]
    return c.arn("ecs", f"service/{cluster}/{service}"), {"name": service}


def _glue_database(c: Context) -> Placeholder:
    name = str(c.inputs.get("name") or c.name)
    return f"{ACCOUNT}:{name}", {"arn": c.arn("glue", f"database/{name}"), "name": name}


def _glue_table(c: Context) -> Placeholder:
    database, name = str(c.inputs.get("databaseName") or "default"), str(c.inputs.get("name") or c.name)
    return f"{ACCOUNT}:{database}:{name}", {"arn": c.arn("glue", f"table/{database}/{name}"), "name": name}


def _athena_workgroup(c: Context) -> Placeholder:
    name = str(c.inputs.get("name") or c.name)
    return name, {"arn": c.arn("athena", f"workgroup/{name}"), "name": name}


BUILDERS: dict[str, Callable[[Context], Placeholder]] = {
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/listener:Listener": _listener,
    "aws:lb/listenerRule:ListenerRule": _listener_rule,
    "aws:lb/listenerCertificate:ListenerCertificate": _listener_certificate,
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": _target_group_attachment,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _security_group_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _security_group_rule,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_setting,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_setting,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_setting,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_setting,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_setting,
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": _certificate_validation,
    "aws:route53/record:Record": _record,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": _subscription,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:wafv2/webAclAssociation:WebAclAssociation": _web_acl_association,
    "aws:lambda/permission:Permission": _lambda_permission,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _kms_alias,
    # serving (demo functions and Fargate services)
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": _role,
    "aws:lambda/function:Function": _function,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/service:Service": _service,
    # access-log analytics
    "aws:glue/catalogDatabase:CatalogDatabase": _glue_database,
    "aws:glue/catalogTable:CatalogTable": _glue_table,
    "aws:athena/workgroup:Workgroup": _athena_workgroup,
}


def placeholder(typ: str, name: str, inputs: Mapping[str, Any], region: str) -> Placeholder:
    """Id and computed outputs AWS would assign to a `typ` resource named `name`.

    A type without a rule gets an id that says so (`<name>-placeholder-<hex>`) rather than one that
    looks like AWS's; the tests require a rule for every type the program registers.
    """
    h = digest(typ, name)
    builder = BUILDERS.get(typ)
    if builder is None:
        return f"{name}-placeholder-{h[:8]}", {}
    return builder(Context(typ, name, inputs, region, h))
