"""The RateLimiter Durable Object through flaresim: exact across isolates, windows on the fake clock,
after-the-fact charges, daily quotas, rejection counts, eviction, and the client's degraded modes."""

from __future__ import annotations

import asyncio

import pytest

from flarekit.ratelimit import DEGRADED, EXACT, FAIL_CLOSED, RateLimitClient, per_day, per_minute

RPM = per_minute("requests_per_minute", 37)
TPM = per_minute("tokens_per_minute", 1000, "tokens", "token_bucket")


def wire(*limits):
    return [limit.to_wire() for limit in limits]


@pytest.mark.parametrize("algorithm", ["sliding_window", "token_bucket", "fixed_window"])
async def test_exactly_the_limit_passes_among_100_concurrent_callers_on_two_isolates(load_host, host_rpc, algorithm):
    host = load_host(isolates=2)
    limit = per_minute("requests_per_minute", 37, algorithm=algorithm)
    calls = [host_rpc.limit("RATE_LIMITER", False, "key:hot", wire(limit), {"requests": 1}) for _ in range(100)]
    isolates = {await host_rpc.isolate(), await host_rpc.isolate()}
    results = await asyncio.gather(*calls)
    assert len(isolates) == 2
    assert sum(r["allowed"] for r in results) == 37
    assert {r["mode"] for r in results} == {EXACT}
    remaining = sorted(r["limits"][0]["remaining"] for r in results if r["allowed"])
    assert remaining == list(range(37))  # every admitted call saw a distinct count: no lost update
    refused = [r for r in results if not r["allowed"]]
    assert all(r["headers"]["retry-after"] and r["headers"]["x-ratelimit-remaining-requests"] == "0" for r in refused)
    stats = await RateLimitClient(host.isolates[0].env.RATE_LIMITER).stats("key:hot")
    assert stats["rejections"] == {"requests_per_minute": 63}


async def test_one_hot_key_does_not_use_up_another_keys_limit(load_host, host_rpc):
    load_host()
    for _ in range(37):
        await host_rpc.limit("RATE_LIMITER", False, "key:hot", wire(RPM), {"requests": 1})
    assert not (await host_rpc.limit("RATE_LIMITER", False, "key:hot", wire(RPM), {"requests": 1}))["allowed"]
    assert (await host_rpc.limit("RATE_LIMITER", False, "key:calm", wire(RPM), {"requests": 1}))["allowed"]


async def test_the_window_rolls_with_the_fake_clock(load_host, flaresim):
    env = load_host().isolates[0].env
    client = RateLimitClient(env.RATE_LIMITER)
    limit = per_minute("rpm", 2)
    assert [(await client.hit("key:a", [limit], {"requests": 1})).allowed for _ in range(3)] == [True, True, False]
    refused = await client.hit("key:a", [limit], {"requests": 1})
    await flaresim.advance(refused.retry_after)
    assert (await client.hit("key:a", [limit], {"requests": 1})).allowed
    assert not (await client.hit("key:a", [limit], {"requests": 1})).allowed
    await flaresim.advance(120)
    assert (await client.hit("key:a", [limit], {"requests": 2})).allowed


async def test_requests_and_tokens_are_checked_together_all_or_nothing(load_host):
    client = RateLimitClient(load_host().isolates[0].env.RATE_LIMITER)
    limits = [RPM, TPM]
    ok = await client.hit("key:a", limits, {"requests": 1, "tokens": 900})
    assert ok.allowed and ok.headers["x-ratelimit-remaining-tokens"] == "100"
    refused = await client.hit("key:a", limits, {"requests": 1, "tokens": 200})
    assert not refused.allowed and refused.rejected == ("tokens_per_minute",)
    assert refused.http_error().status == 429
    peek = await client.peek("key:a", limits)
    assert peek.status("requests_per_minute").remaining == 36  # the refused call took no request


async def test_tokens_known_after_the_answer_are_charged_and_slow_the_next_call(load_host, flaresim):
    client = RateLimitClient(load_host().isolates[0].env.RATE_LIMITER)
    limits = [RPM, TPM]
    assert (await client.hit("key:a", limits, {"requests": 1, "tokens": 100})).allowed
    charged = await client.charge("key:a", limits, {"tokens": 1300})  # the answer was long: the bucket is in debt
    assert charged.allowed and charged.status("tokens_per_minute").remaining == 0
    refused = await client.hit("key:a", limits, {"requests": 1, "tokens": 1})
    assert not refused.allowed and refused.retry_after == pytest.approx(24.06, abs=0.01)  # 401 tokens at 1000/min
    await flaresim.advance(24.1)
    assert (await client.hit("key:a", limits, {"requests": 1, "tokens": 1})).allowed


async def test_a_daily_quota_resets_at_midnight_utc(load_host, flaresim, flaresim_clock):
    day = 86_400
    flaresim_clock.set((flaresim_clock.now() // day + 1) * day - 3600)  # 23:00 UTC
    client = RateLimitClient(load_host().isolates[0].env.RATE_LIMITER)
    quota = [per_day("tokens_per_day", 5000)]
    assert (await client.hit("chat:1", quota, {"tokens": 5000})).allowed
    refused = await client.hit("chat:1", quota, {"tokens": 1})
    assert not refused.allowed and refused.retry_after == pytest.approx(3600)
    assert refused.headers["x-ratelimit-reset-tokens"] == "1h0m0s"
    await flaresim.advance(3600)
    assert (await client.hit("chat:1", quota, {"tokens": 5000})).allowed


async def test_rejections_are_counted_per_limit_for_the_dashboard(load_host):
    client = RateLimitClient(load_host().isolates[0].env.RATE_LIMITER)
    limit = per_minute("rpm", 1)
    for _ in range(4):
        await client.hit("key:a", [limit], {"requests": 1})
    stats = await client.stats("key:a")
    assert stats["rejections"] == {"rpm": 3} and stats["rejections_total"] == 3
    assert stats["by_day"][0]["count"] == 3 and len(stats["by_day"][0]["day"]) == 10


async def test_state_survives_eviction_of_the_object(load_host, flaresim):
    client = RateLimitClient(load_host().isolates[0].env.RATE_LIMITER)
    limits = [RPM]
    for _ in range(30):
        await client.hit("key:a", limits, {"requests": 1})
    assert flaresim.durable_objects.evict_all() >= 1
    decision = await client.hit("key:a", limits, {"requests": 1})
    assert decision.status("requests_per_minute").remaining == 6


async def test_an_unreachable_limiter_degrades_to_per_isolate_limits_and_says_so(load_host, host_rpc):
    load_host(isolates=2)
    results = [
        await host_rpc.limit("UNREACHABLE_LIMITER", False, "key:a", wire(per_minute("rpm", 3)), {"requests": 1})
        for _ in range(8)
    ]
    assert {r["mode"] for r in results} == {DEGRADED}
    assert all(r["headers"]["x-flarekit-ratelimit-mode"] == DEGRADED and r["error"] for r in results)
    # Each of the two isolates enforces the limit on its own: 3 each.
    assert sum(r["allowed"] for r in results) == 6


async def test_an_unreachable_limiter_refuses_when_configured_to_fail_closed(load_host, host_rpc):
    load_host()
    result = await host_rpc.limit("UNREACHABLE_LIMITER", True, "key:a", wire(RPM), {"requests": 1})
    assert not result["allowed"] and result["mode"] == FAIL_CLOSED
    assert result["headers"]["x-flarekit-ratelimit-mode"] == FAIL_CLOSED and "not-deployed" in result["error"]


async def test_reset_gives_a_subject_its_full_allowance_back(load_host):
    env = load_host().isolates[0].env
    client = RateLimitClient(env.RATE_LIMITER)
    await client.hit("key:a", [per_minute("rpm", 1)], {"requests": 1})
    await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("key:a")).reset()
    assert (await client.hit("key:a", [per_minute("rpm", 1)], {"requests": 1})).allowed


async def test_a_subject_without_limits_costs_no_round_trip(load_host):
    client = RateLimitClient(load_host().isolates[0].env.UNREACHABLE_LIMITER)
    decision = await client.hit("key:free", [], {"requests": 1})
    assert decision.allowed and decision.mode == EXACT and client.failures == 0


async def test_state_kept_in_the_older_one_row_per_limit_layout_is_read_after_an_upgrade(load_host, flaresim):
    env = load_host().isolates[0].env
    stub = env.RATE_LIMITER.getByName("key:old")
    instance = await flaresim.durable_objects.instance_of(stub)
    now_ms = int(flaresim.clock.now() * 1000)
    window_start = now_ms - now_ms % 60_000
    # What the previous version of the object stored: 30 requests taken in the current window.
    instance._sql.exec(
        "INSERT INTO rl_state (name, shape, level, previous, stamp_ms) VALUES (?, ?, ?, ?, ?)",
        "requests_per_minute",
        RPM.shape,
        30.0,
        0.0,
        window_start,
    )
    flaresim.durable_objects.evict_all()
    decision = await RateLimitClient(env.RATE_LIMITER).hit("key:old", [RPM], {"requests": 1})
    assert decision.status("requests_per_minute").remaining == 6
    flaresim.durable_objects.evict_all()
    assert (await RateLimitClient(env.RATE_LIMITER).peek("key:old", [RPM])).status("requests_per_minute").remaining == 6


async def test_charges_of_one_unit_leave_the_other_limits_state_as_it_was(load_host, flaresim):
    client = RateLimitClient(load_host().isolates[0].env.RATE_LIMITER)
    limits = [RPM, TPM]
    await client.hit("key:a", limits, {"requests": 5, "tokens": 100})
    await client.charge("key:a", limits, {"tokens": 400})
    flaresim.durable_objects.evict_all()
    peek = await client.peek("key:a", limits)
    assert peek.status("requests_per_minute").remaining == 32
    assert peek.status("tokens_per_minute").remaining == 500


async def test_the_client_keeps_a_bounded_number_of_object_ids_and_counts_what_it_drops(load_host):
    namespace = load_host().isolates[0].env.RATE_LIMITER
    client = RateLimitClient(namespace, max_cached_ids=4)
    for n in range(10):
        assert (await client.hit(f"key:{n}", [RPM], {"requests": 1})).allowed
    assert len(client._ids) == 4 and client.id_evictions == 6
    # A subject whose id was dropped reaches the same object again.
    assert (await client.hit("key:0", [RPM], {"requests": 1})).status("requests_per_minute").remaining == 35
