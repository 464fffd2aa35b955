"""Fixture Workers for the monitoring tests, with python_modules/ built as scripts/vendor.py builds it:
our packages symlinked, opentelemetry-api (and typing-extensions) copied file by file from the
installed wheels' RECORD (the same pinned versions the Workers deploy)."""

from __future__ import annotations

import shutil
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
OUR_PACKAGES = {
    "flarekit": ROOT / "shared" / "flarekit" / "flarekit",
    "telemetry_monitoring": ROOT / "workers" / "telemetry" / "src" / "telemetry_monitoring",
}
WHEELS = ("opentelemetry-api", "typing-extensions")


def vendor_wheels(target: Path) -> Path:
    """Copy the installed files of the pure-Python wheels our Workers vendor into `target`."""
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
