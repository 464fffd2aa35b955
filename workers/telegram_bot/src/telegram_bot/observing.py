"""Monitoring of the bot (docs/observability.md): its Observer, built once per isolate.

`OBSERVER.serve` wraps every request (the webhook's server span, the root of a Telegram message's
trace, and one metrics record after the response). The chat's Durable Object handles the update
later, inside `OBSERVER.continue_trace` with the traceparent stored beside the update, so the
proxy call it makes (and the proxy's call to the provider) land in the same trace.
"""

from __future__ import annotations

from flarekit.metrics.request_observer import Observer
from telegram_bot import WORKER_NAME, __version__

OBSERVER = Observer(WORKER_NAME, __version__)  # module level: no I/O, no entropy
