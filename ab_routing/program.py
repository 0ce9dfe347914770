"""The Pulumi program: read config once at the boundary, build the component, export outputs.

`main()` is what `pulumi up` runs (through the project's `__main__.py`) and what the offline plan
and the tests run under mocks.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
from pulumi.runtime import config as runtime_config

from ab_routing.config import parse_stack_config
from ab_routing.model import RoutingConfig
from ab_routing.naming import COMPONENT_NAME
from ab_routing.region import RegionError, resolve_region
from ab_routing.shares import shares
from ab_routing.stack import AbRouting
from ab_routing.tags import base_tags
from ab_routing.validate import ConfigError


def engine_config() -> dict[str, object]:
    """Every config key the engine passed to this program (full keys, values as strings)."""
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def load_config() -> RoutingConfig:
    """The validated config, or a clean Pulumi error (no traceback) listing every problem. The
    region is found as the AWS provider finds it (same environment under `pulumi up`)."""
    config = engine_config()
    try:
        return parse_stack_config(config, resolve_region(config).name)
    except RegionError as error:
        raise pulumi.RunError(str(error)) from None
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None


def _service_outputs(component: AbRouting, variant: str) -> dict[str, object]:
    """`ecsCluster` and `ecsService` of a container variant (what `rollout` scales up), else nothing."""
    found = component.container_services.get(variant)
    return {"ecsCluster": found.cluster_name, "ecsService": found.service.name} if found else {}


def stack_outputs(component: AbRouting, config: RoutingConfig) -> Mapping[str, object]:
    """The stack outputs other tools read; the names are an interface, keep them."""
    share = shares({v.name: v.weight for v in config.variants})
    port = config.listener.port
    scheme = config.listener.protocol.lower()
    default_port = 443 if scheme == "https" else 80
    suffix = "" if port == default_port else f":{port}"
    host: pulumi.Input[str] = config.dns.record_name if config.dns else component.dns_name
    return {
        "url": pulumi.Output.concat(f"{scheme}://", host, suffix),
        "dnsName": component.dns_name,
        "targetSecurityGroupId": component.target_security_group.id,
        "accessLogsBucket": component.access_logs_bucket,
        "dashboardUrl": component.dashboard_url,
        "alarmTopicArn": component.alarm_topic_arn,
        "loadBalancerArn": component.load_balancer_arn,
        "loadBalancerArnSuffix": component.load_balancer_arn_suffix,
        "listenerArn": component.listener_arn,
        "alarms": component.alarm_names,
        "logsDatabase": component.log_analytics.database if component.log_analytics else None,
        "logsTable": component.log_analytics.table if component.log_analytics else None,
        "athenaWorkGroup": component.log_analytics.work_group if component.log_analytics else None,
        "variants": {
            v.name: {
                "targetGroupArn": component.target_groups[v.name].arn,
                "targetGroupArnSuffix": component.target_groups[v.name].arn_suffix,
                "weight": v.weight,
                "share": share[v.name],
                **_service_outputs(component, v.name),
            }
            for v in config.variants
        },
    }


NO_CONTROL_WARNING = "no variant has `control: true`: the stack is fine, but `report` needs one variant to compare the others with"


def main() -> None:
    config = load_config()
    if config.control is None:
        pulumi.log.warn(NO_CONTROL_WARNING)
    tags = base_tags(pulumi.get_project(), pulumi.get_stack())
    component = AbRouting(COMPONENT_NAME, config, tags=tags)
    for name, value in stack_outputs(component, config).items():
        pulumi.export(name, value)
