"""Shared fixtures: the repository's Worker directories and loaders for them."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKER_DIRS = {
    "ai-proxy": ROOT / "workers" / "ai_proxy",
    "telemetry": ROOT / "workers" / "telemetry",
    "telegram-bot": ROOT / "workers" / "telegram_bot",
}


@pytest.fixture
def worker_dirs() -> dict[str, Path]:
    return WORKER_DIRS
