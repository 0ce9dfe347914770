"""Send requests to the load balancer the way the checks need them, and record what came back.

Three kinds of requests, all paced by one rate limit and one concurrency bound:
- split: each from a fresh client with no cookies, so the ALB routes it by weight alone;
- override: the override header set to one variant, also cookie-less;
- sticky: a few clients that keep their cookies (AWSALBTG) across several requests.
A timeout or connection error is recorded, never retried: a retry would hide the failure and bias
the split towards whichever variant answers. The run stops at its request budget or time limit.
The variant is read from a response header the model server sends; nothing is inferred.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractCookieJar

STICKINESS_COOKIE = "AWSALBTG"


class TrafficError(Exception):
    """The endpoint cannot be checked at all (unreachable, TLS refused); exit 1."""


@dataclass(frozen=True)
class TrafficSettings:
    url: str
    user_agent: str
    method: str = "GET"
    body: bytes | None = None
    host: str | None = None
    """Sent as the Host header and, over HTTPS, as SNI (the name on the listener's certificate)."""
    variant_header: str = "X-Model-Variant"
    concurrency: int = 10
    rate: float = 50.0
    """Requests per second at most, over all kinds."""
    time_limit: float = 300.0
    """Seconds; requests not started by then are not sent."""
    timeout: float = 10.0
    """Seconds per request, connect to last byte."""


@dataclass(frozen=True)
class TrafficPlan:
    split_requests: int
    override: Mapping[str, int] = field(default_factory=dict)
    """Header name is `override_header`; variant -> requests carrying it."""
    override_header: str | None = None
    sticky_clients: int = 0
    sticky_requests: int = 0


@dataclass(frozen=True)
class Sample:
    kind: str
    """`split`, `override` or `sticky`."""
    variant: str | None
    """The variant header's value; None when the response lacked it or there was no response."""
    status: int | None
    """HTTP status; None on a timeout or connection error."""
    error: str | None
    """`timeout` or `connection` when no response came back."""
    latency_ms: float
    target: str | None = None
    """For override requests, the variant asked for."""
    client: int | None = None
    """For sticky requests, which client sent it."""
    cookie: bool = False
    """The response set the AWSALBTG stickiness cookie."""


@dataclass
class TrafficRun:
    samples: list[Sample]
    stopped: str | None = None
    """Why the run stopped before sending everything (the time limit), else None."""
    not_sent: int = 0


class Pacer:
    """Hands out start times no closer together than 1/rate seconds."""

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self._gap = 1.0 / rate
        self._next = clock()
        self._clock = clock

    async def wait(self) -> None:
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self._gap
        if slot > now:
            await asyncio.sleep(slot - now)


def send(settings: TrafficSettings, plan: TrafficPlan, on_sample: Callable[[], None] | None = None) -> TrafficRun:
    """Check the endpoint answers (TrafficError if not), then run `plan`. Blocking."""
    return asyncio.run(_send(settings, plan, on_sample or (lambda: None)))


async def _send(settings: TrafficSettings, plan: TrafficPlan, on_sample: Callable[[], None]) -> TrafficRun:
    connector = aiohttp.TCPConnector(limit=settings.concurrency)
    try:
        await _preflight(connector, settings)
        return await _run(connector, settings, plan, on_sample)
    finally:
        await connector.close()


async def _preflight(connector: aiohttp.BaseConnector, settings: TrafficSettings) -> None:
    """One request before the run, so an unreachable or misnamed endpoint is one clear error, not
    thousands of counted failures."""
    async with _session(connector, settings, keep_cookies=False) as session:
        try:
            async with session.request(settings.method, settings.url, **_request_args(settings, {})) as response:
                await response.read()
        except aiohttp.ClientConnectorCertificateError as error:
            raise TrafficError(_certificate_message(settings, error)) from None
        except aiohttp.ClientSSLError as error:
            raise TrafficError(f"TLS handshake with {settings.url} failed: {error}") from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TrafficError(f"cannot reach {settings.url}: {_describe(error, settings.timeout)}") from None


def _certificate_message(settings: TrafficSettings, error: aiohttp.ClientConnectorCertificateError) -> str:
    return certificate_message(settings.url, settings.host, error.certificate_error)


def certificate_message(url: str, host: str | None, cause: BaseException) -> str:
    """Explain a failed certificate check; for a hostname mismatch, offer --host instead of turning
    verification off (which this tool never does)."""
    hostname = urlsplit(url).hostname or url
    mismatch = isinstance(cause, ssl.SSLCertVerificationError) and (
        cause.verify_code == 62 or "hostname" in str(cause.verify_message).lower()
    )
    if mismatch and host is None:
        alb = " (an ALB's own DNS name is never on your certificate)" if hostname.endswith(".elb.amazonaws.com") else ""
        return (
            f"the certificate served at {hostname} does not name {hostname}{alb}. Pass --host NAME with the name on the "
            f"certificate (e.g. your dns.recordName): verify then connects to {hostname} and sends NAME as TLS SNI and "
            "Host header. Certificate verification stays on."
        )
    return f"certificate check failed for {host or hostname}: {cause}"


def _session(connector: aiohttp.BaseConnector, settings: TrafficSettings, *, keep_cookies: bool) -> aiohttp.ClientSession:
    jar: AbstractCookieJar = aiohttp.CookieJar(unsafe=True) if keep_cookies else aiohttp.DummyCookieJar()
    return aiohttp.ClientSession(
        connector=connector,
        connector_owner=False,
        cookie_jar=jar,
        headers={"User-Agent": settings.user_agent},
        timeout=aiohttp.ClientTimeout(total=settings.timeout),
    )


def _request_args(settings: TrafficSettings, extra: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments of `session.request`: headers, body, Host and SNI; redirects are not followed
    (a redirect is an answer worth seeing, e.g. HTTP->HTTPS)."""
    headers = dict(extra)
    args: dict[str, Any] = {"allow_redirects": False}
    if settings.body is not None:
        args["data"] = settings.body
        headers.setdefault("Content-Type", "application/json")
    if settings.host:
        headers["Host"] = settings.host
        if urlsplit(settings.url).scheme == "https":
            args["server_hostname"] = settings.host
    args["headers"] = headers
    return args


async def _run(connector: aiohttp.BaseConnector, settings: TrafficSettings, plan: TrafficPlan, on_sample: Callable[[], None]) -> TrafficRun:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.time_limit
    pacer = Pacer(settings.rate, loop.time)
    gate = asyncio.Semaphore(settings.concurrency)
    run = TrafficRun(samples=[])

    async def one(session: aiohttp.ClientSession, kind: str, headers: Mapping[str, str], target: str | None, client: int | None) -> bool:
        async with gate:
            if loop.time() >= deadline:
                run.not_sent += 1
                run.stopped = f"time limit of {settings.time_limit:g} s reached"
                return False
            await pacer.wait()
            sample = await _request(session, settings, kind, headers, target, client)
        run.samples.append(sample)
        on_sample()
        return True

    async def fresh(kind: str, headers: Mapping[str, str], target: str | None = None) -> None:
        async with _session(connector, settings, keep_cookies=False) as session:
            await one(session, kind, headers, target, None)

    async def sticky(client: int) -> None:
        async with _session(connector, settings, keep_cookies=True) as session:
            for sent in range(plan.sticky_requests):
                if not await one(session, "sticky", {}, None, client):
                    run.not_sent += plan.sticky_requests - sent - 1
                    return

    jobs: list[Awaitable[None]] = [fresh("split", {}) for _ in range(plan.split_requests)]
    if plan.override_header:
        for variant, count in plan.override.items():
            jobs += [fresh("override", {plan.override_header: variant}, variant) for _ in range(count)]
    jobs += [sticky(client) for client in range(plan.sticky_clients)]
    await asyncio.gather(*jobs)
    return run


async def _request(
    session: aiohttp.ClientSession,
    settings: TrafficSettings,
    kind: str,
    headers: Mapping[str, str],
    target: str | None,
    client: int | None,
) -> Sample:
    started = time.perf_counter()

    def elapsed() -> float:
        return (time.perf_counter() - started) * 1000

    try:
        async with session.request(settings.method, settings.url, **_request_args(settings, headers)) as response:
            await response.read()
            variant = (response.headers.get(settings.variant_header) or "").strip() or None
            cookie = STICKINESS_COOKIE in response.cookies
            return Sample(kind, variant, response.status, None, elapsed(), target, client, cookie)
    except TimeoutError:
        return Sample(kind, None, None, "timeout", elapsed(), target, client)
    except aiohttp.ClientError:
        return Sample(kind, None, None, "connection", elapsed(), target, client)


def _describe(error: BaseException, timeout: float) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} s"
    return str(error) or type(error).__name__


def total(plan: TrafficPlan) -> int:
    """How many requests `plan` sends at most."""
    return plan.split_requests + sum(plan.override.values()) + plan.sticky_clients * plan.sticky_requests


__all__: Sequence[str] = ("Sample", "TrafficError", "TrafficPlan", "TrafficRun", "TrafficSettings", "send", "total")
