"""Where the log files are: a local directory or file, or S3 under AWS's key layout.

S3 keys are `<prefix>/AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/<file>`, where the
date folder is the delivery date and the file name carries the load balancer
(`..._app.<name>.<id>_<end time>_<ip>_<random>.log.gz`). Only the days from the window's start to
its end plus `DELIVERY_MARGIN` are listed, only this load balancer's files are kept (a bucket may be
shared), and only files whose end time can hold lines of the window are downloaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from ab_routing.aws_errors import NO_CREDENTIALS
from ab_routing.exits import EXIT_FAILURE, EXIT_INVALID

DELIVERY_MARGIN = timedelta(minutes=30)
"""Files are delivered every 5 minutes per node, best effort: look this far past the window's end."""
FILE_SPAN = timedelta(minutes=5)
"""A file holds the lines of the 5 minutes before the end time in its name."""
_NAME = re.compile(r"_elasticloadbalancing_[a-z0-9-]+_(?P<lb>app\.[^_]+)_(?P<end>\d{8}T\d{4}Z)_")


class SourceError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str


def parse_source(text: str, flag: str = "--source") -> Path | S3Location:
    """`s3://bucket/prefix` or a local path; `flag` names the option in messages."""
    if text.startswith("s3://"):
        bucket, _, prefix = text[5:].partition("/")
        if not bucket:
            raise SourceError(f"{flag} {text!r}: expected s3://bucket[/prefix]", EXIT_INVALID)
        return S3Location(bucket, prefix.strip("/"))
    return Path(text)


def lb_token(load_balancer: str) -> str:
    """`app/<name>/<id>` as log file names write it: `app.<name>.<id>`."""
    return load_balancer.replace("/", ".")


def name_matches(name: str, load_balancer: str) -> bool:
    """Is this AWS-named file of `load_balancer`? Files not named by AWS are kept (local copies)."""
    found = _NAME.search(name)
    return found is None or found.group("lb") == lb_token(load_balancer)


def file_end(name: str) -> datetime | None:
    found = _NAME.search(name)
    return datetime.strptime(found.group("end"), "%Y%m%dT%H%MZ").replace(tzinfo=UTC) if found else None


def relevant(name: str, load_balancer: str, start: datetime, end: datetime) -> bool:
    """This load balancer's file, and its 5 minutes can overlap [start, end)."""
    if not name_matches(name, load_balancer):
        return False
    stamp = file_end(name)
    return stamp is None or (start <= stamp + FILE_SPAN and stamp - FILE_SPAN <= end + DELIVERY_MARGIN)


def local_files(path: Path, load_balancer: str, start: datetime, end: datetime, flag: str = "--source") -> list[Path]:
    """`.log` / `.log.gz` files under `path` (or `path` itself) that can hold lines of the window."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise SourceError(f"{flag} {path}: no such file or directory", EXIT_INVALID)
    found = sorted(p for p in path.rglob("*") if p.is_file() and (p.name.endswith(".log") or p.name.endswith(".log.gz")))
    return [p for p in found if relevant(p.name, load_balancer, start, end)]


def days(start: datetime, end: datetime) -> Iterator[date]:
    day = start.astimezone(UTC).date()
    last = (end + DELIVERY_MARGIN).astimezone(UTC).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def _s3_error(error: Exception, location: S3Location) -> SourceError:
    where = f"s3://{location.bucket}/{location.prefix}"
    if isinstance(error, NoCredentialsError):
        return SourceError(NO_CREDENTIALS)
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code", "?"))
        if code == "NoSuchBucket":
            return SourceError(f"bucket {location.bucket!r} does not exist (check --source or the accessLogsBucket output)", EXIT_INVALID)
        return SourceError(f"cannot read {where}: {code}: {info.get('Message', error)}")
    return SourceError(f"cannot reach S3 for {where}: {error}")


def _list(client: Any, bucket: str, prefix: str, delimiter: str | None = None) -> Iterator[dict[str, Any]]:
    paginator = client.get_paginator("list_objects_v2")
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if delimiter:
        kwargs["Delimiter"] = delimiter
    yield from paginator.paginate(**kwargs)


def s3_keys(
    client: Any, location: S3Location, *, region: str, accounts: Sequence[str], load_balancer: str, start: datetime, end: datetime
) -> list[str]:
    """Keys of this load balancer's files for the window's days (and accounts; found by listing
    `<prefix>/AWSLogs/` when not given)."""
    head = f"{location.prefix}/" if location.prefix else ""
    try:
        found_accounts = list(accounts)
        if not found_accounts:
            for page in _list(client, location.bucket, f"{head}AWSLogs/", "/"):
                found_accounts += [p["Prefix"].rstrip("/").rsplit("/", 1)[-1] for p in page.get("CommonPrefixes", [])]
        keys: list[str] = []
        for account in found_accounts:
            for day in days(start, end):
                folder = f"{head}AWSLogs/{account}/elasticloadbalancing/{region}/{day:%Y/%m/%d}/"
                for page in _list(client, location.bucket, folder):
                    keys += [o["Key"] for o in page.get("Contents", []) if relevant(o["Key"].rsplit("/", 1)[-1], load_balancer, start, end)]
        return sorted(keys)
    except (ClientError, BotoCoreError) as error:
        raise _s3_error(error, location) from None


def download(client: Any, location: S3Location, keys: Sequence[str], directory: Path) -> list[Path]:
    """Fetch `keys` into `directory` (DuckDB's S3 extension is downloaded at run time, which is not
    possible everywhere; boto3 is always there)."""
    out: list[Path] = []
    try:
        for i, key in enumerate(keys):
            name = key.rsplit("/", 1)[-1]
            target = directory / f"{i:06d}-{name}"
            client.download_file(location.bucket, key, str(target))
            out.append(target)
    except (ClientError, BotoCoreError) as error:
        raise _s3_error(error, location) from None
    return out
