"""Who may write ALB access logs into a bucket, per region, and the bucket policy that says so.

Pure data and functions; the component registers the bucket. Regions that existed before August
2022 deliver from a per-region ELB account; later regions use the log-delivery service principal
(AWS ELB guide, "Enable access logs": bucket permissions). A region in neither list is a config
error rather than a guess.
"""

from __future__ import annotations

from typing import Any

LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"

ELB_ACCOUNT_BY_REGION: dict[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}

SERVICE_PRINCIPAL_REGIONS: frozenset[str] = frozenset(
    {
        "ap-south-2",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ap-east-2",
        "ca-west-1",
        "eu-central-2",
        "eu-south-2",
        "il-central-1",
        "me-central-1",
        "mx-central-1",
    }
)


def known_region(region: str) -> bool:
    return region in ELB_ACCOUNT_BY_REGION or region in SERVICE_PRINCIPAL_REGIONS


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def delivery_principal(region: str) -> dict[str, str]:
    """The policy principal that delivers ALB logs in `region` (KeyError for an unknown region)."""
    account = ELB_ACCOUNT_BY_REGION.get(region)
    if account is not None:
        return {"AWS": f"arn:{partition(region)}:iam::{account}:root"}
    if region in SERVICE_PRINCIPAL_REGIONS:
        return {"Service": LOG_DELIVERY_SERVICE}
    raise KeyError(region)


def bucket_policy(bucket_arn: str, prefix: str, account_id: str, region: str) -> dict[str, Any]:
    """Deny any access without TLS; let ELB put objects under `<prefix>/AWSLogs/<account>/` only."""
    key_prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "AllowAlbLogDelivery",
                "Effect": "Allow",
                "Principal": delivery_principal(region),
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{key_prefix}AWSLogs/{account_id}/*",
            },
        ],
    }
