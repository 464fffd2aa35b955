"""The fixture Worker that hosts flarekit's Durable Objects, loaded into flaresim.

The Worker directory is copied to tmp_path with `python_modules/flarekit` symlinked to the
source, as `scripts/vendor.py --link` does for the real Workers, so nothing is committed there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "flarekit_host"
FLAREKIT = ROOT / "shared" / "flarekit" / "flarekit"


@pytest.fixture
def flarekit_host_dir(tmp_path) -> Path:
    target = tmp_path / "flarekit_host"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("python_modules", "__pycache__"))
    (target / "python_modules").mkdir()
    (target / "python_modules" / "flarekit").symlink_to(FLAREKIT, target_is_directory=True)
    return target


@pytest.fixture
def load_host(flaresim, flarekit_host_dir):
    """`load_host(isolates=N)`: the fixture Worker loaded into this test's runtime."""

    def load(isolates: int = 1):
        return flaresim.load_worker(flarekit_host_dir, isolates=isolates)

    return load


@pytest.fixture
def host_rpc(flaresim):
    """RPC to the fixture Worker's Default entrypoint, spread round-robin over its isolates."""
    from flaresim.runtime import ServiceBinding

    return ServiceBinding(flaresim, "flarekit-host", None)
