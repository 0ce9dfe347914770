"""Production serving under mocks: HTTPS, redirect, access logs, LB attributes, DNS, WAF."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ab_routing.config import parse_config
from ab_routing.validate import ConfigError
from tests.support import ALB, INGRESS, RULE, base_raw, by_type, one, registrations, run

CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0f4e8a52-3c1b-4d6e-9a7f-2b5c8d1e6f90"
CERT_2 = "arn:aws:acm:us-east-1:111122223333:certificate/1f4e8a52-3c1b-4d6e-9a7f-2b5c8d1e6f91"
WEB_ACL = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/models/7c1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"
BUCKET = "aws:s3/bucket:Bucket"


def https_raw(**listener: Any) -> dict[str, Any]:
    raw = base_raw()
    raw["listener"] = {"protocol": "HTTPS", "certificateArn": CERT, **listener}
    return raw


def listeners(result: Any) -> list[dict[str, Any]]:
    return one(result, ALB).inputs["listeners"]


def listener_children(result: Any) -> dict[str, int]:
    """awsx Listener children by name -> port, as awsx will create them."""
    alb = one(result, ALB).inputs["listeners"]
    names = [c.name for c in result.recording.awsx_children if c.type == "aws:lb/listener:Listener"]
    return {name: alb[int(name.rsplit("-", 1)[1])]["port"] for name in names}


def test_https_forward_listener_with_default_tls13_policy_and_certificate() -> None:
    result = run(https_raw())
    http, https = listeners(result)
    assert (https["port"], https["protocol"], https["certificateArn"]) == (443, "HTTPS", CERT)
    assert https["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["defaultActions"][0]["type"] == "forward"
    assert [g["weight"] for g in https["defaultActions"][0]["forward"]["targetGroups"]] == [10, 90]
    assert (http["port"], http["protocol"]) == (80, "HTTP")
    assert http["defaultActions"] == [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]


def test_stricter_ssl_policy_and_additional_certificates() -> None:
    result = run(https_raw(sslPolicy="ELBSecurityPolicy-TLS13-1-3-2021-06", additionalCertificateArns=[CERT_2]))
    assert listeners(result)[1]["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06"
    extra = by_type(result, "aws:lb/listenerCertificate:ListenerCertificate")
    assert [r.inputs for r in extra.values()] == [{"listenerArn": result.outputs["listenerArn"], "certificateArn": CERT_2}]


def test_listener_arn_output_and_override_rules_point_at_the_https_listener() -> None:
    result = run(https_raw())
    assert result.outputs["url"].startswith("https://")
    assert result.outputs["listenerArn"].endswith(_listener_suffix(result, 1))
    for rule in by_type(result, RULE).values():
        assert rule.inputs["listenerArn"] == result.outputs["listenerArn"]


def _listener_suffix(result: Any, index: int) -> str:
    from ab_routing.placeholders import digest

    # The mock derives a listener's ARN id from its name; awsx names listeners <name>-<index>.
    return digest("aws:lb/listener:Listener", f"ab-routing-{index}")[16:32]


def test_https_opens_exactly_80_and_443() -> None:
    result = run(https_raw(allowedCidrs=["0.0.0.0/0", "::/0"]))
    alb_group = one(result, ALB).inputs["securityGroups"][0]
    rules = [r.inputs for r in by_type(result, INGRESS).values() if r.inputs["securityGroupId"] == alb_group]
    assert sorted((r["fromPort"], r["toPort"], r.get("cidrIpv4") or r.get("cidrIpv6")) for r in rules) == [
        (80, 80, "0.0.0.0/0"),
        (80, 80, "::/0"),
        (443, 443, "0.0.0.0/0"),
        (443, 443, "::/0"),
    ]


def test_switching_http_to_https_updates_listener_0_in_place_and_adds_listener_1() -> None:
    http_run = run(base_raw())
    https_run = run(https_raw())
    assert listener_children(http_run) == {"ab-routing-0": 80}
    assert listener_children(https_run) == {"ab-routing-0": 80, "ab-routing-1": 443}
    ports = list(listener_children(https_run).values())
    assert len(ports) == len(set(ports)), "two listeners claim one port"
    # Same logical name, same port: awsx updates ab-routing-0 (forward -> redirect) rather than replacing it.
    assert listeners(http_run)[0]["port"] == listeners(https_run)[0]["port"] == 80
    # What else changes: the ALB component's args, the override rules (they move to the HTTPS
    # listener), and the new port-443 ingress rule. Target groups and targets stay as they are.
    before, after = registrations(http_run), registrations(https_run)
    assert not before.keys() - after.keys()
    changed = {u.rsplit("::", 1)[1] for u in before.keys() & after.keys() if before[u] != after[u]}
    added = {u.rsplit("::", 1)[1] for u in after.keys() - before.keys()}
    assert changed == {"ab-routing", "champion-override", "challenger-override"}
    assert added == {"ab-routing-in-443-0-0-0-0-0"}


def test_weight_shift_with_https_still_changes_one_resource() -> None:
    raw = https_raw()
    raw["accessLogs"] = {"enabled": True}
    raw["dns"] = {"zoneId": "Z0123456789ABCDEFGHIJ", "recordName": "models.example.com"}
    before = registrations(run(raw))
    raw["variants"]["challenger"]["weight"] = 40
    after = registrations(run(raw))
    diff = {u for u in before.keys() | after.keys() if before.get(u) != after.get(u)}
    assert len(diff) == 1 and f"${ALB}::" in next(iter(diff))


def test_created_log_bucket_is_encrypted_private_owner_enforced_and_expires() -> None:
    raw = base_raw()
    raw["accessLogs"] = {"enabled": True, "prefix": "models", "retentionDays": 30}
    result = run(raw)
    bucket = one(result, BUCKET)
    name = result.outputs["accessLogsBucket"]
    assert name and name.startswith("ab-routing-logs-")
    assert "bucket" not in bucket.inputs, "the bucket is auto-named"
    sse = one(result, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs
    assert sse["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    block = one(result, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    ownership = one(result, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    lifecycle = one(result, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs
    assert lifecycle["rules"][0]["expiration"] == {"days": 30}
    assert lifecycle["rules"][0]["status"] == "Enabled"
    assert one(result, ALB).inputs["accessLogs"] == {"bucket": name, "prefix": "models", "enabled": True}


def policy_of(result: Any) -> dict[str, Any]:
    return json.loads(one(result, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])


@pytest.mark.parametrize(
    ("region", "principal"),
    [
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
        ("eu-west-1", {"AWS": "arn:aws:iam::156460612806:root"}),
        ("us-gov-west-1", {"AWS": "arn:aws-us-gov:iam::048591011584:root"}),
        ("il-central-1", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
    ],
)
def test_log_bucket_policy_denies_plain_http_and_lets_elb_deliver(region: str, principal: dict[str, str]) -> None:
    from ab_routing.offline import run_offline
    from tests.support import stack_config

    raw = base_raw()
    raw["accessLogs"] = {"enabled": True, "prefix": "models"}
    result = run_offline(stack_config(raw, region=region))
    arn = f"arn:aws:s3:::{result.outputs['accessLogsBucket']}"
    statements = {s["Sid"]: s for s in policy_of(result)["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(deny["Resource"]) == sorted([arn, f"{arn}/*"])
    allow = statements["AllowAlbLogDelivery"]
    assert (allow["Effect"], allow["Principal"], allow["Action"]) == ("Allow", principal, "s3:PutObject")
    assert allow["Resource"] == f"{arn}/models/AWSLogs/123456789012/*"


def test_existing_log_bucket_is_used_as_is() -> None:
    raw = base_raw()
    raw["accessLogs"] = {"enabled": True, "bucket": "team-alb-logs"}
    result = run(raw)
    assert not by_type(result, BUCKET)
    assert one(result, ALB).inputs["accessLogs"] == {"bucket": "team-alb-logs", "enabled": True}
    assert result.outputs["accessLogsBucket"] == "team-alb-logs"


def test_load_balancer_attributes_and_defaults() -> None:
    alb = one(run(), ALB).inputs
    assert alb["enableDeletionProtection"] is False
    assert (alb["idleTimeout"], alb["dropInvalidHeaderFields"], alb["enableHttp2"]) == (300, True, True)
    assert (alb["desyncMitigationMode"], alb["ipAddressType"]) == ("defensive", "ipv4")
    assert (alb["clientKeepAlive"], alb["internal"]) == (3600, False)
    raw = base_raw()
    raw["loadBalancer"] = {"deletionProtection": True, "internal": True, "idleTimeout": 4000, "desyncMitigationMode": "strictest"}
    alb = one(run(raw), ALB).inputs
    assert (alb["enableDeletionProtection"], alb["internal"]) == (True, True)
    assert (alb["idleTimeout"], alb["desyncMitigationMode"]) == (4000, "strictest")


def test_dns_alias_records_and_acm_certificate_validated_in_the_zone() -> None:
    raw = base_raw()
    raw["listener"] = {"protocol": "HTTPS"}
    raw["dns"] = {"zoneId": "Z0123456789ABCDEFGHIJ", "recordName": "models.example.com"}
    raw["loadBalancer"] = {"ipAddressType": "dualstack"}
    result = run(raw)
    records = by_type(result, "aws:route53/record:Record")
    assert set(records) == {"ab-routing-a", "ab-routing-aaaa", "ab-routing-certificate-validation"}
    for name, typ in (("ab-routing-a", "A"), ("ab-routing-aaaa", "AAAA")):
        record = records[name].inputs
        assert (record["type"], record["name"], record["zoneId"]) == (typ, "models.example.com", "Z0123456789ABCDEFGHIJ")
        assert record["aliases"] == [{"name": result.outputs["dnsName"], "zoneId": "Z35SXDOTRQ7X7K", "evaluateTargetHealth": True}]
    certificate = one(result, "aws:acm/certificate:Certificate").inputs
    assert (certificate["domainName"], certificate["validationMethod"]) == ("models.example.com", "DNS")
    validation_record = records["ab-routing-certificate-validation"].inputs
    assert validation_record["type"] == "CNAME" and validation_record["zoneId"] == "Z0123456789ABCDEFGHIJ"
    validation = one(result, "aws:acm/certificateValidation:CertificateValidation").inputs
    assert validation["validationRecordFqdns"] == [validation_record["name"].rstrip(".")]
    assert listeners(result)[1]["certificateArn"] == validation["certificateArn"]
    assert result.outputs["url"] == "https://models.example.com"


def test_dns_with_http_has_only_the_a_record_and_no_certificate() -> None:
    raw = base_raw()
    raw["dns"] = {"zoneId": "Z0123456789ABCDEFGHIJ", "recordName": "models.example.com"}
    result = run(raw)
    assert set(by_type(result, "aws:route53/record:Record")) == {"ab-routing-a"}
    assert not by_type(result, "aws:acm/certificate:Certificate")
    assert result.outputs["url"] == "http://models.example.com"


def test_web_acl_is_associated_with_the_load_balancer() -> None:
    raw = base_raw()
    raw["loadBalancer"] = {"webAclArn": WEB_ACL}
    result = run(raw)
    association = one(result, "aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert association == {"resourceArn": result.outputs["loadBalancerArn"], "webAclArn": WEB_ACL}


# -- bad production config ------------------------------------------------------------------------


def problems(raw: dict[str, Any], region: str = "us-east-1") -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, region=region)
    return "\n".join(str(i) for i in caught.value.issues)


def test_https_without_certificate_or_dns_is_an_error() -> None:
    raw = base_raw()
    raw["listener"] = {"protocol": "HTTPS"}
    assert "listener.certificateArn: missing; HTTPS needs a certificate" in problems(raw)


@pytest.mark.parametrize(
    ("listener", "fragment"),
    [
        ({"certificateArn": "arn:aws:acm:us-east-1:1111:certificate/x"}, "listener.certificateArn: got"),
        ({"certificateArn": CERT, "sslPolicy": "ELBSecurityPolicy-TLS13-9-9"}, "listener.sslPolicy: got"),
        ({"certificateArn": CERT, "port": 80}, "must not be 80 with HTTPS"),
        ({"certificateArn": CERT, "additionalCertificateArns": ["nope"]}, "listener.additionalCertificateArns[0]: got"),
    ],
)
def test_bad_https_settings(listener: dict[str, Any], fragment: str) -> None:
    raw = base_raw()
    raw["listener"] = {"protocol": "HTTPS", **listener}
    assert fragment in problems(raw)


def test_tls_settings_with_http_are_errors() -> None:
    raw = base_raw()
    raw["listener"] = {"protocol": "HTTP", "certificateArn": CERT}
    assert "only applies with listener.protocol HTTPS" in problems(raw)


@pytest.mark.parametrize(
    ("logs", "fragment"),
    [
        ({"enabled": True, "retentionDays": 0}, "accessLogs.retentionDays: got 0; must be an integer from 1 to 3650"),
        ({"enabled": True, "retentionDays": 3651}, "from 1 to 3650"),
        ({"enabled": True, "bucket": "Bad_Bucket"}, "accessLogs.bucket: got"),
        ({"enabled": True, "prefix": "x/AWSLogs"}, "must not contain AWSLogs"),
        ({"enabled": True, "bucket": "team-logs", "retentionDays": 5}, "only applies to the bucket the stack creates"),
        ({"enabeld": True}, "accessLogs.enabeld: unknown key; did you mean 'enabled'?"),
    ],
)
def test_bad_access_logs(logs: dict[str, Any], fragment: str) -> None:
    raw = base_raw()
    raw["accessLogs"] = logs
    assert fragment in problems(raw)


def test_unknown_region_for_log_delivery_is_a_config_error_not_a_guess() -> None:
    raw = base_raw()
    raw["accessLogs"] = {"enabled": True}
    assert "aws:region 'xx-nowhere-1' is not a region this program knows" in problems(raw, region="xx-nowhere-1")
    raw["accessLogs"] = {"enabled": True, "bucket": "team-logs"}
    parse_config(raw, region="xx-nowhere-1")  # the user's own bucket: no principal to pick


@pytest.mark.parametrize(
    ("lb", "fragment"),
    [
        ({"idleTimeout": 0}, "loadBalancer.idleTimeout: got 0; must be an integer from 1 to 4000"),
        ({"idleTimeout": 4001}, "1 to 4000"),
        ({"clientKeepAlive": 59}, "loadBalancer.clientKeepAlive: got 59; must be an integer from 60 to 604800"),
        ({"desyncMitigationMode": "off"}, "monitor, defensive, strictest"),
        ({"ipAddressType": "ipv6"}, "ipv4, dualstack, dualstack-without-public-ipv4"),
        ({"internal": True, "ipAddressType": "dualstack-without-public-ipv4"}, "internet-facing"),
        ({"deletionProtection": "yes"}, "true or false"),
        ({"webAclArn": "arn:aws:waf::123:webacl/x"}, "WAFv2 regional web ACL ARN"),
        ({"idletimeout": 5}, "did you mean 'idleTimeout'"),
    ],
)
def test_bad_load_balancer_settings(lb: dict[str, Any], fragment: str) -> None:
    raw = base_raw()
    raw["loadBalancer"] = lb
    assert fragment in problems(raw)


@pytest.mark.parametrize(
    ("dns", "fragment"),
    [
        ({"zoneId": "zone", "recordName": "models.example.com"}, "dns.zoneId: got"),
        ({"zoneId": "Z0123456789ABCDEFGHIJ", "recordName": "Models.Example.com"}, "dns.recordName: got"),
        ({"zoneId": "Z0123456789ABCDEFGHIJ"}, "dns.recordName: missing"),
    ],
)
def test_bad_dns(dns: dict[str, Any], fragment: str) -> None:
    raw = base_raw()
    raw["dns"] = dns
    assert fragment in problems(raw)
