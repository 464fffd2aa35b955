"""Fixtures loading the monitoring fixture Workers into flaresim (see monitoring_workers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from monitoring_workers import vendor_wheels, worker_copy


@pytest.fixture(scope="session")
def vendored_wheels(tmp_path_factory) -> Path:
    """The installed files of the pure-Python wheels our Workers vendor, in one folder."""
    return vendor_wheels(tmp_path_factory.mktemp("python_modules"))


@pytest.fixture
def load_monitoring(flaresim, tmp_path, vendored_wheels):
    """`load_monitoring(app_isolates=1, telemetry_overrides=None, app_overrides=None)` -> (telemetry, app)."""

    def load(app_isolates: int = 1, telemetry_overrides=None, app_overrides=None):
        telemetry = flaresim.load_worker(
            worker_copy("monitoring_telemetry", tmp_path, vendored_wheels), overrides=telemetry_overrides
        )
        app = flaresim.load_worker(
            worker_copy("monitoring_app", tmp_path, vendored_wheels), isolates=app_isolates, overrides=app_overrides
        )
        return telemetry, app

    return load
