"""CORS: preflights answered for allowed origins, nothing for others, credentials never wildcarded."""

from __future__ import annotations

from proxy_harness import openai_config

APP = "https://app.example"
PREFLIGHT = {
    "origin": APP,
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type",
}


async def test_a_preflight_from_an_allowed_origin_is_answered_without_a_key(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams, cors={"allowed_origins": [APP]}))
    status, headers, _ = await proxy.request("OPTIONS", "/v1/chat/completions", headers=PREFLIGHT)
    assert status == 204
    assert headers["access-control-allow-origin"] == APP
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "authorization, content-type"
    assert "access-control-allow-credentials" not in headers


async def test_other_origins_get_no_cors_headers(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams, cors={"allowed_origins": [APP]}))
    status, headers, _ = await proxy.request(
        "OPTIONS", "/v1/chat/completions", headers={**PREFLIGHT, "origin": "https://evil.example"}
    )
    assert status == 403 and "access-control-allow-origin" not in headers
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    status, headers, _ = await proxy.post("/v1/chat/completions", body, headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in headers


async def test_answers_to_an_allowed_origin_carry_cors_and_expose_the_gateway_headers(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams, cors={"allowed_origins": [APP], "allow_credentials": True}))
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    status, headers, _ = await proxy.post("/v1/chat/completions", body, headers={"origin": APP})
    assert status == 200
    assert headers["access-control-allow-origin"] == APP  # never "*" with credentials
    assert headers["access-control-allow-credentials"] == "true"
    assert "x-flarekit-cache" in headers["access-control-expose-headers"]
    # Errors carry them too, so a browser app can read them.
    status, headers, _ = await proxy.post("/v1/chat/completions", body, key="sk-bad", headers={"origin": APP})
    assert status == 401 and headers["access-control-allow-origin"] == APP


async def test_a_wildcard_origin_with_credentials_is_a_configuration_error(start_proxy, upstreams):
    proxy = await start_proxy(openai_config(*upstreams, cors={"allowed_origins": ["*"], "allow_credentials": True}))
    status, _, answer = await proxy.request("GET", "/v1/models", headers={"authorization": "Bearer sk-flarekit-dev"})
    assert status == 500
    assert "GATEWAY_CONFIG.cors.allow_credentials" in answer["error"]["message"]
