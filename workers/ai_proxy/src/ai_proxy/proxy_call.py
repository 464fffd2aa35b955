"""One API request through the gateway: who made it, its body, the headers to answer with, its
record, and the work left for after the response (spend, token charges, cache writes, telemetry).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from workers import Response

from ai_proxy import interceptors
from ai_proxy.auth import Principal, authenticate
from ai_proxy.errors import JSON_HEADERS
from ai_proxy.gateway import Gateway, loop_time
from ai_proxy.observing import observe
from ai_proxy.records import RequestRecord
from ai_proxy.request_body import read_json
from flarekit import clock
from flarekit.llm.deployments import Deployment
from flarekit.llm.failover import Attempt
from flarekit.llm.openai_format import dumps
from flarekit.metrics import observation
from flarekit.usage.budgets import BudgetCheck

log = logging.getLogger("ai_proxy")

REQUEST_ID = "x-request-id"
# How long a flush waits for other requests' records and writes to join it (seconds).
FLUSH_WINDOW = 0.025


def new_request_id() -> str:
    return f"req_{random.getrandbits(96):024x}"


@dataclass(slots=True)
class ProxyCall:
    """The state of one request; interceptors receive it (`body`, `headers`, `principal`, `route`)."""

    gateway: Gateway
    env: Any
    ctx: Any
    request: Any
    headers: Any
    route: str
    record: RequestRecord
    started: float
    principal: Principal | None = None
    body: dict[str, Any] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    after: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    finished: bool = False
    # For monitoring (observing.py): the request's observation, the model's deployments, the
    # upstream attempts made and the key's budget check.
    obs: observation.Observation = field(default_factory=observation.current)
    deployments: tuple[Deployment, ...] = ()
    attempts: list[Attempt] = field(default_factory=list)
    budget: BudgetCheck | None = None

    @property
    def subject(self) -> str:
        """The name of this caller's RateLimiter and UsageLedger objects."""
        return f"key:{self.principal.key_id if self.principal else 'anonymous'}"

    def elapsed_ms(self) -> float:
        return (loop_time() - self.started) * 1000


def new_call(gateway: Gateway, request: Any, env: Any, ctx: Any, headers: Any, route: str, method: str) -> ProxyCall:
    request_id = new_request_id()
    record = RequestRecord(request_id, clock.now_ms(), route, method)
    call = ProxyCall(gateway, env, ctx, request, headers, route, record, loop_time())
    call.response_headers[REQUEST_ID] = request_id
    record.trace_id = call.obs.trace_id or None
    return call


async def admit(call: ProxyCall, *, json_body: bool = True) -> None:
    """Authenticate and read the JSON body."""
    gateway = call.gateway
    call.principal = await authenticate(gateway.settings, gateway.keys, call.headers)
    call.record.key_name = call.principal.name
    call.record.key_id = call.principal.key_id
    if json_body:
        call.body = await read_json(call.request, call.headers, gateway.config.request)


async def intercept(call: ProxyCall) -> None:
    """Run the `on_request` interceptors on the body about to be routed (each batch item, each
    conversation turn with its history, as well as single requests)."""
    if interceptors.on_request:
        await interceptors.run_request(call)


def answer(call: ProxyCall, body: bytes | str | dict[str, Any], status: int = 200, content_type: str | None = None):
    """A response carrying the call's headers (request id, rate limits, cache, cost, CORS)."""
    if isinstance(body, dict):
        body = dumps(body)
    headers = {**(JSON_HEADERS if content_type is None else {"content-type": content_type}), **call.response_headers}
    call.record.status = status
    return Response(body, status=status, headers=headers)


def finish(call: ProxyCall) -> None:
    """Close the record and leave the follow-up work (and the telemetry post) to `waitUntil`."""
    if call.finished:
        return
    call.finished = True
    call.record.latency_ms = round(call.elapsed_ms(), 3)
    observe(call)
    gateway = call.gateway
    gateway.telemetry.add(call.record)
    # A flush already waiting or running takes this request's record and writes along: start
    # one only when nobody else will.
    if call.after or not gateway.flushing:
        call.ctx.waitUntil(after_response(call))


async def after_response(call: ProxyCall) -> None:
    """The work that must not delay the answer; each piece fails alone (logged), telemetry last.

    Spend, token corrections and request records are written by at most one flush per isolate at
    a time. It first waits `FLUSH_WINDOW` seconds so that what other requests add meanwhile goes
    in the same writes (one Durable Object call per key, one telemetry post for many records);
    `waitUntil` keeps the request alive for it, costing no CPU while it waits.
    """
    for work in call.after:
        try:
            await work()
        except Exception as error:  # one failed follow-up must not stop the others or telemetry
            log.warning(
                "after-response work for %s failed: %s: %s", call.record.request_id, type(error).__name__, error
            )
    gateway = call.gateway
    if gateway.flushing:
        return
    gateway.flushing = True
    try:
        await asyncio.sleep(FLUSH_WINDOW)
        while gateway.deferred.pending or gateway.telemetry.buffer:
            await gateway.deferred.flush()
            await gateway.telemetry.flush(call.env)
    finally:
        gateway.flushing = False
