"""Athena over the access logs: a Glue database and table and an Athena workgroup.

Registered when access logs are on (the caller decides); `logs --engine athena` and the stack
outputs `logsDatabase`, `logsTable`, `athenaWorkGroup` read the names this returns. Query results
go to the log bucket under `<prefix>/athena-results/`, encrypted with SSE-S3 (the only encryption
ALB log buckets allow), and every query stops at the workgroup's bytes-scanned cutoff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ab_routing.model import RoutingConfig
from ab_routing.resources import log_analytics_args as args


@dataclass(frozen=True)
class LogAnalytics:
    database: pulumi.Output[str]
    table: pulumi.Output[str]
    work_group: pulumi.Output[str]


def create_log_analytics(
    parent: pulumi.Resource,
    *,
    name: str,
    bucket: pulumi.Input[str],
    prefix: str,
    region: str,
    account_id: pulumi.Input[str],
    load_balancer: pulumi.Input[str] | None = None,
    tags: Mapping[str, str],
    bytes_scanned_cutoff: int = args.DEFAULT_BYTES_SCANNED_CUTOFF,
) -> LogAnalytics:
    """`name` (e.g. `<project>_<stack>`) makes the Glue/Athena names; `load_balancer` (the
    `app/<name>/<id>` suffix, optional) is recorded on the table, which covers the whole prefix
    (queries filter on the load balancer's id in `"$path"`)."""
    base = args.glue_name(name, "logs")
    options = pulumi.ResourceOptions(parent=parent)
    database = aws.glue.CatalogDatabase(
        "logs",
        name=base,
        description="ALB access logs of ab-routing (issue 11): query with `python -m ab_routing logs --engine athena`",
        tags=dict(tags),
        opts=options,
    )
    location = pulumi.Output.all(bucket, account_id).apply(lambda v: args.logs_location(str(v[0]), prefix, str(v[1]), region))
    parameters = location.apply(args.table_parameters)
    if load_balancer is not None:
        parameters = pulumi.Output.all(parameters, load_balancer).apply(lambda v: {**v[0], "ab_routing.load_balancer": str(v[1])})
    table = aws.glue.CatalogTable(
        "logs",
        name=args.TABLE_NAME,
        database_name=database.name,
        table_type="EXTERNAL_TABLE",
        parameters=parameters,
        partition_keys=[aws.glue.CatalogTablePartitionKeyArgs(name="day", type="string")],
        storage_descriptor=aws.glue.CatalogTableStorageDescriptorArgs(
            location=location,
            input_format="org.apache.hadoop.mapred.TextInputFormat",
            output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            ser_de_info=aws.glue.CatalogTableStorageDescriptorSerDeInfoArgs(
                serialization_library="org.apache.hadoop.hive.serde2.RegexSerDe",
                parameters=args.serde_parameters(),
            ),
            columns=[aws.glue.CatalogTableStorageDescriptorColumnArgs(name=c["name"], type=c["type"]) for c in args.table_columns()],
        ),
        opts=options,
    )
    work_group = aws.athena.Workgroup(
        "logs",
        name=base,
        description="ab-routing access-log queries: encrypted results, bytes-scanned cutoff per query",
        force_destroy=True,
        configuration=aws.athena.WorkgroupConfigurationArgs(
            enforce_workgroup_configuration=True,
            publish_cloudwatch_metrics_enabled=True,
            bytes_scanned_cutoff_per_query=args.check_cutoff(bytes_scanned_cutoff),
            result_configuration=aws.athena.WorkgroupConfigurationResultConfigurationArgs(
                output_location=pulumi.Output.from_input(bucket).apply(lambda b: args.results_location(b, prefix)),
                encryption_configuration=aws.athena.WorkgroupConfigurationResultConfigurationEncryptionConfigurationArgs(
                    encryption_option="SSE_S3"
                ),
            ),
        ),
        tags=dict(tags),
        opts=options,
    )
    return LogAnalytics(database.name, table.name, work_group.name)


def create_log_analytics_for(
    parent: pulumi.Resource,
    config: RoutingConfig,
    bucket: pulumi.Input[str] | None,
    load_balancer_arn_suffix: pulumi.Input[str],
    tags: Mapping[str, str],
) -> LogAnalytics | None:
    """The Glue table and Athena workgroup over this stack's access logs, when they are on."""
    if bucket is None or not config.access_logs.enabled:
        return None
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id
    return create_log_analytics(
        parent,
        name=f"{pulumi.get_project()}_{pulumi.get_stack()}",
        bucket=bucket,
        prefix=config.access_logs.prefix,
        region=config.region,
        account_id=account,
        load_balancer=load_balancer_arn_suffix,
        tags=tags,
    )
