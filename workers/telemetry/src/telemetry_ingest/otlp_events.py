"""OTLP export requests (decoded by `flarekit.otlp`) as events: one per span, data point or log record.

    otel.span    id = trace_id + span_id; timestamp = start time
    otel.metric  id = request digest + index; timestamp = the point's time
    otel.log     id = request digest + index; timestamp = time, else observed time

Ids are derived from the request, so an exporter retrying the same export stores nothing new that
queries would return twice. 64-bit nanosecond times are kept as decimal strings (as in OTLP/JSON;
JavaScript numbers cannot hold them) beside a `timestamp` in epoch milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from json.encoder import encode_basestring as quote  # a JSON string literal (C), as encode_json writes it

from flarekit.otlp import LOGS, METRICS, TRACES, Signal
from flarekit.otlp.messages import METRIC_DATA_KINDS
from telemetry_ingest.config import MAX_EVENT_BYTES
from telemetry_ingest.digest import SPAN_STATUS_ERROR, requests_recorded_elsewhere, span_is_request
from telemetry_ingest.events import Item, Rejection, encode_json, make_item, oversize
from telemetry_ingest.timestamps import MAX_TIMESTAMP_MS

_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16
_HEX = frozenset("0123456789abcdef")
_NS_PER_MS = 1_000_000


def _scopes(decoded: dict, signal: Signal) -> Iterator[tuple[dict, dict, list]]:
    """(resource attributes, scope, items) for every scope of the request."""
    for group in decoded[signal.resource_key]:
        resource = group["resource"]["attributes"]
        for scoped in group[signal.scope_key]:
            scope = scoped["scope"]
            described = {"name": scope["name"], "version": scope["version"]}
            if scope["attributes"]:
                described["attributes"] = scope["attributes"]
            yield resource, described, scoped[signal.items_key]


def _ms(nanos: int, fallback: int) -> int | None:
    if not nanos:
        return fallback
    ms = nanos // _NS_PER_MS
    return ms if ms <= MAX_TIMESTAMP_MS else None


def _valid_id(value: str, zero: str, hex_known: bool) -> bool:
    """`hex_known`: the protobuf reader writes ids as hex itself; OTLP/JSON ids may be anything."""
    return len(value) == len(zero) and value != zero and (hex_known or _HEX.issuperset(value))


def _span(
    span: dict, context: str, index: int, received_at: int, hex_known: bool, requests: bool = True
) -> Item | Rejection:
    """An otel.span event; its line is assembled from parts (ids and numbers need no escaping)."""
    trace_id, span_id, parent = span["trace_id"], span["span_id"], span["parent_span_id"]
    if not _valid_id(trace_id, _ZERO_TRACE, hex_known):
        return Rejection(index, "span has an invalid trace_id (16 bytes, not all zero)")
    if not _valid_id(span_id, _ZERO_SPAN, hex_known):
        return Rejection(index, "span has an invalid span_id (8 bytes, not all zero)")
    if parent and not _valid_id(parent, _ZERO_SPAN, hex_known):
        return Rejection(index, "span has an invalid parent_span_id (8 bytes)")
    start, end = span["start_time_unix_nano"], span["end_time_unix_nano"]
    ts = _ms(start, received_at)
    if ts is None:
        return Rejection(index, "span start time is out of range")
    status = span["status"]
    duration = (end - start) / _NS_PER_MS if end >= start else 0.0
    optional = ""
    if (
        span["trace_state"]
        or span["flags"]
        or span["links"]
        or span["dropped_attributes_count"]
        or span["dropped_events_count"]
        or span["dropped_links_count"]
    ):
        optional = "".join(f',"{name}":{encode_json(span[name])}' for name in _OPTIONAL_SPAN_FIELDS if span[name])
    if span["events"]:
        events = [{**e, "time_unix_nano": str(e["time_unix_nano"])} for e in span["events"]]
        optional += f',"events":{encode_json(events)}'

    event_id = trace_id + span_id
    line = (
        f'{{"id":"{event_id}","event_type":"otel.span","timestamp":{ts},"received_at":{received_at},'
        f'"data":{{"trace_id":"{trace_id}","span_id":"{span_id}","parent_span_id":"{parent}",'
        f'"name":{quote(span["name"])},"kind":{span["kind"]},'
        f'"start_time_unix_nano":"{start}","end_time_unix_nano":"{end}","duration_ms":{duration!r},'
        f'"status":{{"code":{int(status["code"])},"message":{quote(status["message"])}}},'
        f'"attributes":{encode_json(span["attributes"])}{optional},{context}}}}}'
    )
    size = oversize(line)
    if size is not None:
        return Rejection(index, f"span is {size} bytes as an event; the limit is {MAX_EVENT_BYTES} bytes (64 KiB)")
    failed = status["code"] == SPAN_STATUS_ERROR
    request = requests and span_is_request(span["kind"], span["attributes"])
    return Item(ts, event_id, "otel.span", line, index, failed, request)


# Written only when set: most spans have none of them.
_OPTIONAL_SPAN_FIELDS = (
    "trace_state",
    "flags",
    "dropped_attributes_count",
    "dropped_events_count",
    "dropped_links_count",
    "links",
)


def _points(metric: dict) -> tuple[str | None, dict, list]:
    for kind in METRIC_DATA_KINDS:
        body = metric[kind]
        if body is not None:
            return kind, body, body["data_points"]
    return None, {}, []


def _point_data(kind: str, body: dict, point: dict) -> dict:
    data = {key: value for key, value in point.items() if key not in ("as_double", "as_int", "exemplars")}
    data["start_time_unix_nano"] = str(point["start_time_unix_nano"])
    data["time_unix_nano"] = str(point["time_unix_nano"])
    if "as_int" in point:
        data["value"] = point["as_int"] if point["as_int"] is not None else point["as_double"]
    if point.get("exemplars"):
        data["exemplars"] = point["exemplars"]
    for key in ("aggregation_temporality", "is_monotonic"):
        if key in body:
            data[key] = body[key]
    return data


def _metric_items(decoded: dict, received_at: int, id_prefix: str, hex_known: bool) -> Iterator[Item | Rejection]:
    index = 0
    for resource, scope, metrics in _scopes(decoded, METRICS):
        for metric in metrics:
            kind, body, points = _points(metric)
            for point in points:
                ts = _ms(point["time_unix_nano"], received_at)
                if ts is None:
                    yield Rejection(index, "data point time is out of range")
                    index += 1
                    continue
                data = {
                    "name": metric["name"],
                    "description": metric["description"],
                    "unit": metric["unit"],
                    "type": kind,
                }
                data.update(_point_data(kind, body, point))  # type: ignore[arg-type]
                if metric["metadata"]:
                    data["metadata"] = metric["metadata"]
                data["resource"] = resource
                data["scope"] = scope
                event_id = f"{id_prefix}.{index}"
                event = {
                    "id": event_id,
                    "event_type": "otel.metric",
                    "timestamp": ts,
                    "received_at": received_at,
                    "data": data,
                }
                yield make_item(encode_json(event), ts, event_id, "otel.metric", data, index)
                index += 1


def _log_items(decoded: dict, received_at: int, id_prefix: str, hex_known: bool) -> Iterator[Item | Rejection]:
    index = 0
    for resource, scope, records in _scopes(decoded, LOGS):
        for record in records:
            ts = _ms(record["time_unix_nano"] or record["observed_time_unix_nano"], received_at)
            if ts is None:
                yield Rejection(index, "log record time is out of range")
                index += 1
                continue
            data = dict(record)
            data["time_unix_nano"] = str(record["time_unix_nano"])
            data["observed_time_unix_nano"] = str(record["observed_time_unix_nano"])
            data["resource"] = resource
            data["scope"] = scope
            event_id = f"{id_prefix}.{index}"
            event = {
                "id": event_id,
                "event_type": "otel.log",
                "timestamp": ts,
                "received_at": received_at,
                "data": data,
            }
            yield make_item(encode_json(event), ts, event_id, "otel.log", data, index)
            index += 1


def _span_items(decoded: dict, received_at: int, id_prefix: str, hex_known: bool) -> Iterator[Item | Rejection]:
    index = 0
    for resource, scope, spans in _scopes(decoded, TRACES):
        context = f'"resource":{encode_json(resource)},"scope":{encode_json(scope)}'  # once per scope
        requests = not requests_recorded_elsewhere(resource)
        for span in spans:
            yield _span(span, context, index, received_at, hex_known, requests)
            index += 1


CONVERTERS: dict[str, Callable[[dict, int, str, bool], Iterator[Item | Rejection]]] = {
    "traces": _span_items,
    "metrics": _metric_items,
    "logs": _log_items,
}


def otlp_items(
    signal: Signal, decoded: dict, received_at: int, id_prefix: str, hex_known: bool
) -> tuple[list[Item], list[Rejection]]:
    """The events of a decoded export request, and the items rejected (by position in the request).

    `hex_known`: the request was protobuf, so ids are hex already (checked for OTLP/JSON).
    """
    items: list[Item] = []
    rejected: list[Rejection] = []
    for outcome in CONVERTERS[signal.name](decoded, received_at, id_prefix, hex_known):
        if type(outcome) is Item:
            items.append(outcome)
        else:
            rejected.append(outcome)  # type: ignore[arg-type]
    return items, rejected
