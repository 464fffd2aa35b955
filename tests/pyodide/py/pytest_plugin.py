"""pytest plugin for running flarekit's unit tests inside Pyodide (loaded by lib/pytest_runner.mjs).

Which tests run here: every test under tests/flarekit/ that can run without CPython-only tooling.
Two rules, both automatic, both reported (never silent):
  - a test file that imports a module Pyodide cannot import (flaresim, aiohttp, openai, ...), directly
    or through a flarekit module that needs a package no Worker vendors, is left to the CPython tier
    (the latter is reported as a warning: that flarekit module cannot be imported in production);
  - a test that needs a fixture defined outside tests/flarekit/ (flaresim's `flaresim`,
    `worker_client`, `flaresim_clock`, tests/conftest.py's fixtures) is deselected.
`async def` tests and fixtures run on Pyodide's own event loop through `pyodide.ffi.run_sync`
(JSPI), which is what pytest-asyncio's auto mode gives them on CPython.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import tomllib
from pathlib import Path

import pytest
from pyodide.ffi import run_sync

LEFT_TO_CPYTHON: list[str] = []


WARNINGS: list[str] = []


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _unavailable_imports(path: Path) -> list[str]:
    """Why this test file cannot be imported here (empty if it can)."""
    modules = _imported_modules(path)
    missing = sorted({m.partition(".")[0] for m in modules if importlib.util.find_spec(m.partition(".")[0]) is None})
    if missing:
        return missing
    reasons = []
    for module in sorted(m for m in modules if m.partition(".")[0] == "flarekit"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name and importlib.util.find_spec(error.name.partition(".")[0]) is None:
                reasons.append(f"{module} (needs {error.name})")
                WARNINGS.append(
                    f"{module} imports {error.name}, which no Worker vendors: importing it on Workers fails "
                    f"(declare it in the Worker's pyproject.toml dependencies, or keep it out of deployed code)"
                )
    return reasons


def pytest_configure(config):
    pyproject = Path(config.getoption("--pyodide-pyproject") or "")
    if pyproject.is_file():
        ini = tomllib.loads(pyproject.read_text()).get("tool", {}).get("pytest", {}).get("ini_options", {})
        for marker in ini.get("markers", []):
            config.addinivalue_line("markers", marker)


def pytest_addoption(parser):
    parser.addoption("--pyodide-pyproject", default=None, help="pyproject.toml whose pytest markers to register")


def pytest_ignore_collect(collection_path, config):
    if collection_path.suffix == ".py" and collection_path.name.startswith("test_"):
        missing = _unavailable_imports(collection_path)
        if missing:
            LEFT_TO_CPYTHON.append(f"{collection_path.name}: imports {', '.join(missing)}")
            return True
    return None


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        missing = [name for name in (info.names_closure if info else ()) if name not in info.name2fixturedefs]
        missing = [name for name in missing if name != "request"]
        if missing:
            drop.append(item)
            LEFT_TO_CPYTHON.append(f"{item.nodeid}: needs fixture {', '.join(missing)}")
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter):
    for line in sorted(set(WARNINGS)):
        terminalreporter.write_line(f"WARNING: {line}")
    if LEFT_TO_CPYTHON:
        terminalreporter.write_line(f"left to the CPython tier ({len(LEFT_TO_CPYTHON)}):")
        for line in LEFT_TO_CPYTHON:
            terminalreporter.write_line(f"  {line}")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    run_sync(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


def _sync_fixture(func):
    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        def generator(*args, **kwargs):
            agen = func(*args, **kwargs)
            yield run_sync(agen.__anext__())
            try:
                run_sync(agen.__anext__())
            except StopAsyncIteration:
                return

        return generator

    @functools.wraps(func)
    def call(*args, **kwargs):
        return run_sync(func(*args, **kwargs))

    return call


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef):
    func = fixturedef.func
    if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
        fixturedef.func = _sync_fixture(func)
