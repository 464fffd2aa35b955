"""The three OTLP signals: what each request holds and how its response reports rejected items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flarekit.otlp import messages
from flarekit.otlp.json_form import from_json
from flarekit.otlp.protobuf import decode
from flarekit.otlp.schema import Message
from flarekit.otlp.wire import bytes_field, string_field, varint_field


@dataclass(frozen=True)
class Signal:
    """One OTLP signal: its request schema, the names along its resource -> scope -> item path."""

    name: str  # "traces"
    path: str  # "/v1/traces"
    request: Message
    resource_key: str  # "resource_spans"
    scope_key: str  # "scope_spans"
    items_key: str  # "spans" (for metrics: "metrics", each holding data points)
    rejected_field: str  # ExportTracePartialSuccess.rejected_spans

    def decode_protobuf(self, body: bytes) -> dict:
        """The export request read from protobuf bytes."""
        return decode(body, self.request)

    def decode_json(self, document: Any) -> dict:
        """The export request read from a parsed OTLP/JSON document."""
        return from_json(document, self.request)

    def response_protobuf(self, rejected: int = 0, error_message: str = "") -> bytes:
        """Export<Signal>ServiceResponse bytes: empty for full success, `partial_success` otherwise."""
        if not rejected and not error_message:
            return b""
        partial = varint_field(1, rejected) + string_field(2, error_message)
        return bytes_field(1, partial)

    def response_json(self, rejected: int = 0, error_message: str = "") -> dict:
        """The same response in OTLP/JSON (int64 counts as strings)."""
        if not rejected and not error_message:
            return {}
        key = "".join(p.capitalize() if i else p for i, p in enumerate(self.rejected_field.split("_")))
        return {"partialSuccess": {key: str(rejected), "errorMessage": error_message}}


TRACES = Signal(
    "traces", "/v1/traces", messages.EXPORT_TRACES, "resource_spans", "scope_spans", "spans", "rejected_spans"
)
METRICS = Signal(
    "metrics",
    "/v1/metrics",
    messages.EXPORT_METRICS,
    "resource_metrics",
    "scope_metrics",
    "metrics",
    "rejected_data_points",
)
LOGS = Signal(
    "logs", "/v1/logs", messages.EXPORT_LOGS, "resource_logs", "scope_logs", "log_records", "rejected_log_records"
)

SIGNALS = {signal.name: signal for signal in (TRACES, METRICS, LOGS)}

# google.rpc.Code values used in OTLP failure bodies (https://github.com/googleapis/googleapis).
INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAUTHENTICATED, UNAVAILABLE = 3, 8, 16, 14


def status_protobuf(code: int, message: str) -> bytes:
    """A google.rpc.Status, the body of an OTLP/HTTP failure in protobuf."""
    return varint_field(1, code) + string_field(2, message)


def status_json(code: int, message: str) -> dict:
    """The same Status in JSON."""
    return {"code": code, "message": message}
