"""Make top-level entropy fail as it does on Python Workers.

workerd snapshots the main module's top level at deploy time, so randomness drawn there would be
the same in every isolate; it raises instead ("Cannot use random.random() outside of request
context", "Cannot get entropy outside of request context"). flaresim patches the same entry points
and raises the same errors while a Worker's main module is being imported.
"""

from __future__ import annotations

import functools
import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

EMSCRIPTEN_EIO = 29

_depth = 0
_installed = False
_allowance = 0

# Modules the workers SDK lets draw entropy while they execute at import (its exec patches in
# `_workers_sdk_entropy_import_context.py`), with the number of calls each may make: OpenTelemetry
# creates UUID-named context keys at import (three in `opentelemetry.context` from
# opentelemetry-api 1.40, one each in `.trace.propagation` and `.baggage`).
IMPORT_ALLOWANCES = {
    "opentelemetry.context": 3,
    "opentelemetry.trace.propagation": 1,
    "opentelemetry.baggage": 1,
}

# The module-level functions of `random` that draw from its hidden global instance.
_RANDOM_FUNCTIONS = (
    "random",
    "uniform",
    "randint",
    "randrange",
    "choice",
    "choices",
    "shuffle",
    "sample",
    "randbytes",
    "getrandbits",
    "gauss",
    "normalvariate",
    "triangular",
    "betavariate",
    "expovariate",
    "gammavariate",
    "lognormvariate",
    "paretovariate",
    "vonmisesvariate",
    "weibullvariate",
)


def forbidden() -> bool:
    return _depth > 0


@contextmanager
def import_phase() -> Iterator[None]:
    """Refuse entropy for the duration (a Worker's top-level import)."""
    global _depth
    install()
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1


@contextmanager
def module_exec(name: str) -> Iterator[None]:
    """While module `name` executes during the import phase, allow the calls the SDK allows it."""
    global _allowance
    granted = IMPORT_ALLOWANCES.get(name, 0) if _depth else 0
    if not granted:
        yield
        return
    saved, _allowance = _allowance, granted
    try:
        yield
    finally:
        _allowance = saved


def _refuse() -> bool:
    """Whether an entropy call must fail now (consuming one allowed call if a module has some)."""
    global _allowance
    if not _depth:
        return False
    if _allowance > 0:
        _allowance -= 1
        return False
    return True


def _guard_random(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _refuse():
            raise RuntimeError(f"Cannot use random.{name}() outside of request context")
        return fn(*args, **kwargs)

    return guarded


def _guard_entropy(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _refuse():
            # workerd's getentropy() fails with EIO, which Python reports as an OSError; Emscripten
            # numbers EIO 29 (Linux says 5), and users see "[Errno 29] ..." in production logs.
            raise OSError(EMSCRIPTEN_EIO, "Cannot get entropy outside of request context")
        return fn(*args, **kwargs)

    return guarded


def install() -> None:
    """Patch `random`, `os.urandom` (and with it `uuid.uuid4`, `secrets`) once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    for name in _RANDOM_FUNCTIONS:
        if hasattr(random, name):
            setattr(random, name, _guard_random(name, getattr(random, name)))
    guarded_urandom = _guard_entropy(os.urandom)
    os.urandom = guarded_urandom
    # `random.SystemRandom` (behind `secrets`) captured os.urandom at import; patch its copy too.
    random._urandom = guarded_urandom  # type: ignore[attr-defined]
