"""Alert evaluation on the telemetry Worker's cron (`[triggers] crons = ["* * * * *"]`)."""

from __future__ import annotations

import logging
from typing import Any

from flarekit.metrics.aggregator import aggregator

log = logging.getLogger("telemetry_monitoring")


async def evaluate_alerts(env: Any) -> Any:
    """Evaluate every alert rule now, in the aggregator (call from `scheduled()`); returns its report."""
    report = await aggregator(env).evaluate_alerts()
    for sent in report.get("sent", []):
        log.info("alert %s: %s [%s] %s", sent["status"], sent["rule"], sent["subject"], sent["summary"])
    if report.get("failed"):
        log.warning(
            "alerts: %s notification(s) could not be delivered; retried at the next evaluation", report["failed"]
        )
    return report
