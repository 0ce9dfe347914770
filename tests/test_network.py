"""One VPC: the target groups', awsx's default target group's and the subnets' (issue 8, defect 4)."""

from __future__ import annotations

import pytest

from ab_routing.model import Network
from ab_routing.offline import run_offline
from ab_routing.resources.network import NetworkMismatchError, subnet_vpc_problems
from tests.stack_support import wide_run
from tests.support import ALB, base_raw, one, stack_config


def test_default_target_group_takes_network_vpc_id_and_every_subnet_is_looked_up() -> None:
    result = wide_run()
    assert one(result, ALB).inputs["defaultTargetGroup"]["vpcId"] == base_raw()["network"]["vpcId"]
    looked_up = sorted(lk.args["id"] for lk in result.recording.lookups if lk.token == "aws:ec2/getSubnet:getSubnet")
    assert looked_up == sorted(base_raw()["network"]["subnetIds"])


def test_subnets_of_another_vpc_fail_at_preview_naming_both() -> None:
    with pytest.raises(NetworkMismatchError) as caught:
        run_offline(stack_config(), subnet_vpcs={"subnet-0bbb2222": "vpc-0other111"})
    message = str(caught.value)
    assert "network.vpcId (vpc-0abc1234)" in message
    assert "subnet subnet-0bbb2222 is in vpc-0other111" in message
    assert "subnet-0aaa1111" not in message


def test_subnet_problems_name_only_the_strays() -> None:
    network = Network("vpc-1", ("subnet-a", "subnet-b", "subnet-c"))
    assert subnet_vpc_problems(network, ["vpc-1", "vpc-1", "vpc-1"]) == []
    assert subnet_vpc_problems(network, ["vpc-1", "vpc-2", None]) == [
        "subnet subnet-b is in vpc-2",
        "subnet subnet-c is in an unknown VPC",
    ]
