"""OTLP for Workers: read OTLP/HTTP export requests (protobuf or JSON), write their responses.

- `signals.TRACES|METRICS|LOGS`: `decode_protobuf(bytes)`, `decode_json(document)`,
  `response_protobuf(rejected, message)`, `response_json(...)`.
- `schema.py` describes the decoded form; `messages.py` lists the OTLP v1 messages.
- `wire.DecodeError` is raised for bytes or JSON that are not the expected message.
"""

from flarekit.otlp.signals import LOGS, METRICS, SIGNALS, TRACES, Signal
from flarekit.otlp.wire import DecodeError

__all__ = ["LOGS", "METRICS", "SIGNALS", "TRACES", "DecodeError", "Signal"]
