"""`trace_id=` on the query API: one trace's spans and the events that name it, across pages and
types; anything but 32 hex digits is a 400."""

from __future__ import annotations

import pytest
from telemetry_support import NOW_MS, event

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
OTHER = "5b8efff798038103d269b633813fc60c"


def otlp(trace_id: str, span_ids: list[str]) -> dict:
    spans = [
        {"traceId": trace_id, "spanId": span_id, "name": f"span {span_id}", "kind": 2,
         "startTimeUnixNano": str((NOW_MS - 1000 + i) * 1_000_000), "endTimeUnixNano": str((NOW_MS - 990 + i) * 1_000_000)}
        for i, span_id in enumerate(span_ids)
    ]  # fmt: skip
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}


async def test_a_trace_id_finds_that_traces_spans_and_the_records_naming_it_and_nothing_else(api):
    assert (await api.post_json("/v1/traces", otlp(TRACE, ["00f067aa0ba902b7", "00f067aa0ba902b8"])))[0] == 200
    assert (await api.post_json("/v1/traces", otlp(OTHER, ["00f067aa0ba902b9"])))[0] == 200
    await api.post_json(
        "/api/telemetry/ingest",
        [
            event(1, "ai.request", timestamp=NOW_MS - 500) | {"data": {"trace_id": TRACE, "status": 200}},
            event(2, "ai.request", timestamp=NOW_MS - 400) | {"data": {"trace_id": OTHER, "status": 200}},
            event(3, "ai.request", timestamp=NOW_MS - 300) | {"data": {"note": f"mentions {TRACE} in passing"}},
        ],
    )
    spans = await api.query_all(event_type="otel.span", trace_id=TRACE, limit=1)
    assert sorted(e["data"]["span_id"] for e in spans) == ["00f067aa0ba902b7", "00f067aa0ba902b8"]
    everything = await api.query_all(trace_id=TRACE.upper())
    assert sorted(e["event_type"] for e in everything) == ["ai.request", "otel.span", "otel.span"]
    assert (await api.query(trace_id=OTHER, event_type="ai.request"))["events"][0]["data"]["trace_id"] == OTHER


@pytest.mark.parametrize("bad", ["xyz", TRACE[:-1], TRACE + "0", "g" * 32])
async def test_a_trace_id_that_is_not_32_hex_digits_is_refused(api, bad):
    status, body = await api.get_json("/api/telemetry/query", {"trace_id": bad})
    assert status == 400 and body["error"]["param"] == "trace_id"
