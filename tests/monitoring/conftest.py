"""Fixture Workers for the monitoring tests, loaded into flaresim with their python_modules/ built
as scripts/vendor.py builds them: our packages symlinked, opentelemetry-api (and typing-extensions)
copied file by file from the installed wheels' RECORD (the same pinned versions as deployed)."""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
OUR_PACKAGES = {
    "flarekit": ROOT / "shared" / "flarekit" / "flarekit",
    "telemetry_monitoring": ROOT / "workers" / "telemetry" / "src" / "telemetry_monitoring",
}
WHEELS = ("opentelemetry-api", "typing-extensions")


@pytest.fixture(scope="session")
def vendored_wheels(tmp_path_factory) -> Path:
    """The installed files of the pure-Python wheels our Workers vendor, in one folder."""
    target = tmp_path_factory.mktemp("python_modules")
    for name in WHEELS:
        dist = metadata.distribution(name)
        for file in dist.files or ():
            if "__pycache__" in file.parts or file.parts[0].startswith(".."):
                continue
            destination = target / file
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(dist.locate_file(file), destination)
    return target


def worker_copy(name: str, tmp_path: Path, wheels: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns("python_modules", "__pycache__"))
    modules = target / "python_modules"
    modules.mkdir()
    for package, source in OUR_PACKAGES.items():
        (modules / package).symlink_to(source, target_is_directory=True)
    for entry in wheels.iterdir():
        (modules / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return target


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
