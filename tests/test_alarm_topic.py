"""The alarm topic is encrypted with a customer managed key CloudWatch may use (issue 8, defect 8)."""

from __future__ import annotations

import json

import pytest

from ab_routing.config import parse_config
from ab_routing.validate import ConfigError
from tests.stack_support import wide_run
from tests.support import base_raw, by_type, one, run

KEY = "aws:kms/key:Key"
TOPIC = "aws:sns/topic:Topic"
BROUGHT_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_by_default_a_rotating_customer_managed_key_encrypts_the_topic_and_cloudwatch_may_use_it() -> None:
    result = wide_run()
    key = one(result, KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    topic = one(result, TOPIC).inputs
    assert topic["kmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:") and ":key/" in topic["kmsMasterKeyId"]
    assert topic["kmsMasterKeyId"] != "alias/aws/sns"  # CloudWatch cannot publish through the AWS-managed key
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    root = statements["AccountRootAdministers"]
    assert (root["Effect"], root["Principal"], root["Action"]) == ("Allow", {"AWS": "arn:aws:iam::123456789012:root"}, "kms:*")
    cloudwatch = statements["CloudWatchAlarmsPublish"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert len(statements) == 2


def test_a_brought_key_is_used_and_none_is_created() -> None:
    raw = base_raw()
    raw["alarms"] = {"kmsKeyArn": BROUGHT_KEY}
    result = run(raw)
    assert not by_type(result, KEY)
    assert one(result, TOPIC).inputs["kmsMasterKeyId"] == BROUGHT_KEY


@pytest.mark.parametrize("value", ["alias/aws/sns", "1234abcd-12ab-34cd-56ef-1234567890ab", "", 5])
def test_kms_key_arn_must_be_a_key_arn(value: object) -> None:
    raw = base_raw()
    raw["alarms"] = {"kmsKeyArn": value}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert "alarms.kmsKeyArn: got" in str(caught.value) and "must be a KMS key ARN" in str(caught.value)
