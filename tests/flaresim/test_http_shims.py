"""flaresim's `workers.Request`/`Response`/`fetch` and JS streams behave as the SDK on workerd does.

Expected texts and behaviours were checked against workerd's binary (a JS Worker probing `Headers`,
`Response`, `Request` and streams) and the SDK's source (`workers/{request,response,utils}.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from collections.abc import AsyncIterator
from http import HTTPMethod, HTTPStatus
from pathlib import Path

import aiohttp
import js
import pytest
from aiohttp import web
from pyodide.ffi import JsException, to_js
from pyodide.http import BodyUsedError, HttpStatusError
from workers import Request, Response, fetch

from flaresim.testing import serve_workers

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@contextlib.asynccontextmanager
async def local_server(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


# -- headers -----------------------------------------------------------------------------------------


def test_headers_read_like_an_http_message_with_js_combining_rules():
    response = Response(
        "x",
        headers=[("X-B", "1"), ("x-a", " 2 "), ("x-b", "3"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")],
    )
    headers = response.headers
    assert headers["X-B"] == "1, 3"  # one name, values joined with ", " as JS Headers does
    assert headers.get("x-a") == "2"  # trimmed
    assert headers.get("missing") is None
    assert headers.get_all("set-cookie") == ["a=1", "b=2"]  # never combined
    assert list(headers.items()) == [
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("content-type", "text/plain;charset=UTF-8"),
        ("x-a", "2"),
        ("x-b", "1, 3"),
    ]
    assert "X-A" in headers


def test_each_headers_access_builds_a_new_mapping():
    response = Response("x", headers={"x-a": "1"})
    response.headers["x-added"] = "no effect"
    assert "x-added" not in response.headers


def test_headers_may_be_a_dict_a_list_of_pairs_or_js_headers_but_not_an_http_message():
    for given in ({"x-a": 5}, [("x-a", 5)], js.Headers.new({"x-a": "5"})):
        assert Response("x", headers=given).headers["x-a"] == "5"
    upstream_headers = Response("x", headers={"x-a": "1"}).headers
    with pytest.raises(TypeError, match=r"^Received unexpected type for headers argument$"):
        Response("x", headers=upstream_headers)
    assert Response("x", headers=dict(upstream_headers)).headers["x-a"] == "1"


@pytest.mark.parametrize(
    ("headers", "message"),
    [({"bad name": "1"}, "Invalid header name."), ({"x": "a\nb"}, "Invalid header value.")],
)
def test_invalid_header_names_and_values_are_type_errors(headers, message):
    with pytest.raises(JsException) as caught:
        Response("x", headers=headers)
    assert (caught.value.name, caught.value.message) == ("TypeError", message)


# -- bodies ------------------------------------------------------------------------------------------


async def test_a_response_body_can_be_read_once():
    response = Response("once")
    assert await response.text() == "once"
    assert response.body_used
    with pytest.raises(BodyUsedError, match=r"^Response body is already used$"):
        await response.text()
    assert issubclass(BodyUsedError, OSError)


async def test_a_request_body_can_be_read_once():
    request = Request("https://x.test/", method="POST", body="once")
    assert await request.text() == "once"
    with pytest.raises(OSError, match=r"^Body already used$"):
        await request.bytes()


async def test_reading_the_body_stream_uses_up_the_body():
    response = Response(b"streamed")
    chunks = [chunk.to_bytes() async for chunk in response.body]
    assert chunks == [b"streamed"]
    assert response.body_used
    with pytest.raises(BodyUsedError):
        await response.bytes()


async def test_a_locked_but_unread_stream_cannot_be_read_again():
    response = Response(b"x")
    response.body.getReader()
    assert not response.body_used
    with pytest.raises(JsException, match="This ReadableStream is currently locked to a reader"):
        await response.text()


async def test_clone_splits_a_streamed_body_so_both_copies_read_it_all():
    stream = js.TransformStream.new()
    writer = stream.writable.getWriter()
    original = Response(stream.readable)
    copy = original.clone()
    await writer.write(to_js(b"one "))
    await writer.write(to_js(b"two"))
    await writer.close()
    assert await copy.text() == "one two"
    assert await original.text() == "one two"


async def test_a_string_body_is_labelled_text_plain_and_bytes_are_not():
    assert Response("x").headers["content-type"] == "text/plain;charset=UTF-8"
    assert "content-type" not in Response(b"x").headers
    assert Response("x", headers={"Content-Type": "text/html"}).headers["content-type"] == "text/html"
    request = Request("https://x.test/", method="POST", body="{}")
    assert request.headers["content-type"] == "text/plain;charset=UTF-8"


# -- Response construction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "name"), [({"a": 1}, "dict"), (bytearray(b"x"), "bytearray"), (memoryview(b"x"), "memoryview")]
)
def test_bodies_of_unsupported_python_types_are_refused(body, name):
    with pytest.raises(TypeError, match=f"^Unsupported type in Response: {name}$"):
        Response(body)


async def test_a_js_response_can_be_wrapped_but_a_python_response_cannot():
    inner = Response("shared", status=201)
    with pytest.raises(TypeError, match=r"^Unsupported type in Response: Response$"):
        Response(inner)
    wrapped = Response(inner.js_object)
    assert wrapped.status == 201
    assert await wrapped.text() == "shared"
    assert inner.body_used  # one JS response under both wrappers
    with pytest.raises(ValueError, match="Expected no options"):
        Response(inner.js_object, status=200)


async def test_response_json_builds_on_the_class_and_parses_on_an_instance():
    built = Response.json({"error": "nope"}, status=404)
    assert (built.status, built.headers["content-type"]) == (404, "application/json")
    assert await built.json() == {"error": "nope"}
    custom = Response.json([1], headers={"content-type": "application/vnd.api+json"})
    assert custom.headers["content-type"] == "application/vnd.api+json"
    assert (await Response.from_json({"a": 1}, status=HTTPStatus.CREATED).json(), built.ok) == ({"a": 1}, False)


def test_status_must_be_within_200_to_599():
    with pytest.raises(JsException) as caught:
        Response("x", status=600)
    assert caught.value.name == "RangeError"
    assert (
        caught.value.message
        == "Responses may only be constructed with status codes in the range 200 to 599, inclusive."
    )
    assert Response("x", status=None).status == 200
    assert Response("x", status=HTTPStatus.ACCEPTED).status == 202


def test_null_body_statuses_refuse_a_body_but_allow_an_empty_one():
    with pytest.raises(
        JsException, match=r"Response with null body status \(101, 204, 205, or 304\) cannot have a body"
    ):
        Response("x", status=204)
    assert Response("", status=204).status == 204
    assert Response(status=304).body is None


def test_redirect_accepts_only_redirect_statuses():
    assert Response.redirect("https://x.test/", 301).headers["location"] == "https://x.test/"
    with pytest.raises(ValueError, match=r"^200 is not a redirect status code"):
        Response.redirect("https://x.test/", 200)


def test_raise_for_status_raises_pyodides_http_status_error():
    with pytest.raises(HttpStatusError, match=r"^404 Client Error: Not Found for url: $"):
        Response("x", status=404, status_text="Not Found").raise_for_status()
    Response("x", status=302).raise_for_status()


# -- Request construction ----------------------------------------------------------------------------


def test_requests_follow_workerds_constructor_rules():
    request = Request("https://x.test/a?b=1", method="patch", headers={"X-Key": "k"})
    assert request.method == HTTPMethod.PATCH and request.method == "PATCH"
    assert request.headers.get("x-key") == "k"
    assert not request.body  # JS null: falsy, but not None
    with pytest.raises(JsException, match=r"^TypeError: Request with a GET or HEAD method cannot have a body.$"):
        Request("https://x.test/", body="x")
    with pytest.raises(JsException, match=r"^TypeError: Invalid URL: /relative$"):
        Request("/relative")
    assert Request(request, method="POST", body="b").headers.get("x-key") == "k"


# -- streaming out of a Worker -----------------------------------------------------------------------


async def test_a_transform_stream_response_streams_every_event_over_http(flaresim):
    host = flaresim.load_worker(FIXTURES / "stream_worker")
    async with serve_workers(host) as urls, aiohttp.ClientSession() as session:
        for path in ("/sse?n=40", "/sse-unawaited"):  # 40 > the pipe's high-water mark: backpressure
            async with session.get(urls["stream-worker"] + path) as response:
                assert response.headers["content-type"] == "text/event-stream"
                body = await response.text()
            events = [line for line in body.split("\n\n") if line]
            assert events[-1] == "data: [DONE]" and events[0] == "data: 0"
    await flaresim.drain()
    assert flaresim.background_failures == 0


async def test_a_str_written_to_a_response_stream_breaks_the_response(flaresim, capsys):
    host = flaresim.load_worker(FIXTURES / "stream_worker")
    async with serve_workers(host) as urls, aiohttp.ClientSession() as session:
        async with session.get(urls["stream-worker"] + "/bad-stream") as response:
            with pytest.raises(aiohttp.ClientPayloadError):
                await response.read()
    assert "This ReadableStream did not return bytes." in capsys.readouterr().err


# -- outbound fetch ----------------------------------------------------------------------------------


async def test_fetch_reaches_a_routed_host_and_records_the_request(flaresim):
    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {"method": request.method, "body": await request.text(), "type": request.headers.get("content-type")}
        )

    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    async with local_server(app) as base:
        flaresim.outbound.route("api.example.com", base)
        response = await fetch("https://api.example.com/echo", method="POST", body=json.dumps({"a": 1}))
        assert (response.status, response.url) == (200, "https://api.example.com/echo")
        assert await response.json() == {"method": "POST", "body": '{"a": 1}', "type": "text/plain;charset=UTF-8"}
    (sent,) = flaresim.outbound.recorded
    assert (sent.method, sent.url, sent.body) == ("POST", "https://api.example.com/echo", b'{"a": 1}')


async def test_an_upstream_body_streams_through_fetch_and_a_worker_chunk_by_chunk(flaresim):
    second_chunk_may_go = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"first;")
        await second_chunk_may_go.wait()  # the test reads the first chunk before this one exists
        await response.write(b"second")
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/slow", slow)
    async with local_server(app) as base:
        flaresim.outbound.route("upstream.example", base)
        host = flaresim.load_worker(FIXTURES / "stream_worker")
        async with serve_workers(host) as urls, aiohttp.ClientSession() as session:
            async with session.get(urls["stream-worker"] + "/proxy/slow") as response:
                # Buffering anywhere on the way would leave this waiting for a chunk that never comes.
                assert await asyncio.wait_for(response.content.readexactly(6), 10) == b"first;"
                second_chunk_may_go.set()
                assert await response.content.read() == b"second"


async def test_a_connection_failure_raises_oserror(flaresim):
    flaresim.outbound.route("down.example", "http://127.0.0.1:9")  # the discard port: nothing listens
    with pytest.raises(OSError, match="Network connection lost"):
        await fetch("https://down.example/")


async def test_a_body_that_breaks_mid_stream_raises_a_js_exception(flaresim):
    async def broken(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-length": "100"})
        await response.prepare(request)
        await response.write(b"partial")
        request.transport.close()
        return response

    app = web.Application()
    app.router.add_get("/broken", broken)
    async with local_server(app) as base:
        flaresim.outbound.route("flaky.example", base)
        response = await fetch("https://flaky.example/broken")
        with pytest.raises(JsException, match="Network connection lost"):
            async for _chunk in response.body:
                pass


async def test_compressed_upstream_bodies_arrive_decoded_without_stale_length_headers(flaresim):
    payload = b"hello " * 100

    async def zipped(_request: web.Request) -> web.Response:
        return web.Response(body=gzip.compress(payload), headers={"content-encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/z", zipped)
    async with local_server(app) as base:
        flaresim.outbound.route("zip.example", base)
        response = await fetch("https://zip.example/z")
        assert "content-encoding" not in response.headers and "content-length" not in response.headers
        assert await response.bytes() == payload


async def test_manual_redirects_return_the_redirect_itself(flaresim):
    async def hop(_request: web.Request) -> web.Response:
        raise web.HTTPFound("/target")

    async def target(_request: web.Request) -> web.Response:
        return web.Response(text="arrived")

    app = web.Application()
    app.router.add_get("/hop", hop)
    app.router.add_get("/target", target)
    async with local_server(app) as base:
        flaresim.outbound.route("redirect.example", base)
        followed = await fetch("https://redirect.example/hop")
        assert (followed.status, await followed.text(), followed.redirected) == (200, "arrived", True)
        manual = await fetch("https://redirect.example/hop", redirect="manual")
        assert (manual.status, manual.headers["location"], manual.redirected) == (302, "/target", False)
