"""Tokens, production's fail-closed rule, CORS, compressed bodies, size limits and /install."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest
from telemetry_support import INGEST, QUERY, TelemetryClient, event

READ_ROUTES = [
    "/api/telemetry/query",
    "/api/telemetry/errors",
    "/api/telemetry/metrics/summary",
    "/api/telemetry/batch/x",
]
WRITE_ROUTES = ["/api/telemetry/ingest", "/api/telemetry/batch", "/v1/traces", "/v1/metrics", "/v1/logs"]
MIB = 1024 * 1024


def load(flaresim, worker_dirs, worker_client, **overrides) -> TelemetryClient:
    return TelemetryClient(worker_client(flaresim.load_worker(worker_dirs["telemetry"], overrides=overrides)))


@pytest.mark.parametrize("path", WRITE_ROUTES)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "Basic aW5nZXN0LWRldi10b2tlbjo=", "Bearer query-dev-token", "Bearer"]
)
async def test_writes_need_the_ingest_token(api, path, authorization):
    headers = {"content-type": "application/json"} | ({"authorization": authorization} if authorization else {})
    response = await api.client.post(path, body=json.dumps(event(1)), headers=headers)
    assert response.status == 401
    assert response.headers.get("www-authenticate") is not None or path.startswith("/v1/")


@pytest.mark.parametrize("path", READ_ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Bearer ingest-dev-token"])
async def test_reads_need_the_query_token(api, path, authorization):
    status, body = await api.get_json(path, headers={"authorization": authorization} if authorization else {})
    assert status == 401 and body["error"]["code"] == "unauthorized"


async def test_production_without_tokens_refuses_everything(flaresim, worker_dirs, worker_client):
    api = load(
        flaresim,
        worker_dirs,
        worker_client,
        ENVIRONMENT="production",
        TELEMETRY_INGEST_TOKEN="",
        TELEMETRY_QUERY_TOKEN="",
    )
    response = await api.post("/api/telemetry/ingest", event(1))
    assert response.status == 503 and response.headers.get("retry-after")
    assert "TELEMETRY_INGEST_TOKEN is not configured" in (await response.json())["error"]["message"]
    status, _ = await api.get_json("/api/telemetry/query")
    assert status == 503
    response = await api.client.post("/v1/traces", body=b"", headers={"content-type": "application/x-protobuf"})
    assert response.status == 503


async def test_development_without_tokens_is_open(flaresim, worker_dirs, worker_client):
    api = load(flaresim, worker_dirs, worker_client, TELEMETRY_INGEST_TOKEN="", TELEMETRY_QUERY_TOKEN="")
    status, _ = await api.post_json("/api/telemetry/ingest", event(1), headers={"authorization": ""})
    assert status == 200
    assert (await api.get_json("/api/telemetry/query", headers={}))[0] == 200


async def test_cors_preflight_and_responses_carry_the_allowed_origin(flaresim, worker_dirs, worker_client):
    api = load(
        flaresim, worker_dirs, worker_client, TELEMETRY_CORS_ORIGINS="https://app.example.com, https://b.example"
    )
    preflight = await api.client.request(
        "OPTIONS",
        "/api/telemetry/ingest",
        headers={"origin": "https://app.example.com", "access-control-request-method": "POST"},
    )
    assert preflight.status == 204
    assert preflight.headers.get("access-control-allow-origin") == "https://app.example.com"
    assert "authorization" in preflight.headers.get("access-control-allow-headers")
    response = await api.post("/api/telemetry/ingest", event(1), headers={"origin": "https://app.example.com"})
    assert response.status == 200
    assert response.headers.get("access-control-allow-origin") == "https://app.example.com"
    assert (await response.json())["accepted"] == 1
    stranger = await api.post("/api/telemetry/ingest", event(2), headers={"origin": "https://evil.example"})
    assert stranger.headers.get("access-control-allow-origin") is None


async def test_without_configured_origins_no_cors_headers_are_sent(api):
    response = await api.post("/api/telemetry/ingest", event(1), headers={"origin": "https://app.example.com"})
    assert response.headers.get("access-control-allow-origin") is None


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("GZIP", gzip.compress)],
)
async def test_compressed_bodies_are_accepted(api, encoding, compress):
    body = compress(json.dumps([event(i) for i in range(50)]).encode())
    response = await api.post("/api/telemetry/ingest", body=body, headers={"content-encoding": encoding})
    assert response.status == 200 and (await response.json())["accepted"] == 50


async def test_a_body_already_decoded_by_the_runtime_is_read_as_it_is(api):
    # workerd may decode gzip before the Worker sees the body while the header stays.
    response = await api.post("/api/telemetry/ingest", body=json.dumps(event(1)), headers={"content-encoding": "gzip"})
    assert response.status == 200


async def test_a_gzip_bomb_is_refused_with_413_without_inflating_it_all(api):
    bomb = gzip.compress(b"[" + b" " * (200 * MIB) + b"]", compresslevel=9)
    assert len(bomb) < MIB
    response = await api.post("/api/telemetry/ingest", body=bomb, headers={"content-encoding": "gzip"})
    assert response.status == 413
    assert "after decompression" in (await response.json())["error"]["message"]


async def test_a_plain_body_over_20_mib_is_refused_with_413(api):
    body = b"[" + b" " * (20 * MIB) + b"]"
    response = await api.post("/api/telemetry/ingest", body=body)
    assert response.status == 413


async def test_a_body_of_20_mib_exactly_is_read(api):
    document = json.dumps([event(1)]).encode()
    body = document[:-1] + b" " * (20 * MIB - len(document)) + b"]"
    response = await api.post("/api/telemetry/ingest", body=body)
    assert response.status == 200


@pytest.mark.parametrize(
    ("body", "encoding", "status"),
    [
        (gzip.compress(b'[{"event_type":"x","data":{}}]')[:-10], "gzip", 400),  # truncated
        (b"\x1f\x8b\x08\x00garbage-garbage", "gzip", 400),  # corrupt
        (b"{}", "br", 415),
        (b"{}", "zstd", 415),
    ],
)
async def test_broken_or_unsupported_compression_is_a_client_error(api, body, encoding, status):
    response = await api.post("/api/telemetry/ingest", body=body, headers={"content-encoding": encoding})
    assert response.status == status


async def test_install_redirects_to_the_configured_script(api):
    response = await api.client.get("/install")
    assert response.status == 302
    assert response.headers.get("location") == "https://example.com/flarekit/install.sh"


async def test_install_without_a_configured_script_is_404(flaresim, worker_dirs, worker_client):
    api = load(flaresim, worker_dirs, worker_client, INSTALL_SCRIPT_URL="")
    assert (await api.client.get("/install")).status == 404


async def test_a_bad_setting_is_reported_by_name(flaresim, worker_dirs, worker_client):
    api = load(flaresim, worker_dirs, worker_client, TELEMETRY_TTL_SECONDS="10")
    status, body = await api.get_json("/api/telemetry/query")
    assert status == 500 and "TELEMETRY_TTL_SECONDS" in body["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x01\x02",
        b"null",
        b"{}",
        b"[null]",
        b'{"events": [null]}',
        b"\xff" * 64,
        b'{"resourceSpans": [{"scopeSpans": 5}]}',
    ],
)
async def test_garbage_never_gets_a_500(api, body):
    for path in (*WRITE_ROUTES, *READ_ROUTES):
        for content_type in ("application/json", "application/x-protobuf", "text/plain"):
            headers = {**INGEST, "content-type": content_type}
            response = await api.client.post(path, body=body, headers=headers)
            assert response.status < 500, (path, body, content_type, await response.text())
        response = await api.client.get(path + "?start=garbage&limit=-1&cursor=%00", headers=QUERY)
        assert response.status < 500


async def test_health_is_public(api):
    assert (await api.client.get("/health")).status == 200
