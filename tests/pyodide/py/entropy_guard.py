"""Refuse entropy while a Worker's main module is imported, as workerd does (runs inside Pyodide).

workerd imports the main module once, at deploy time, and snapshots the interpreter; randomness
drawn then would be shared by every isolate. Its `_cloudflare` entropy patches therefore make, until
the first request:
  - the module-level functions of `random` raise
    RuntimeError("Cannot use random.<name>() outside of request context") (`random.Random` and
    `random.SystemRandom` stay usable as classes);
  - `os.urandom` (and with it `uuid.uuid4`, `secrets`, `random.SystemRandom` methods) raise
    OSError(EIO, "Cannot get entropy outside of request context");
  - `random.Random()` without a seed raise the same OSError.
This module reproduces those three rules; the JS side additionally makes `crypto.getRandomValues`
throw during the import, as workerd's `getRandomValues` does for any other path to the C library.

The SDK's own import patches (`_workers_sdk_entropy_import_context`, loaded by its `.pth` file) grant
a few modules a counted allowance (opentelemetry's uuid4-named context keys); they reach workerd's
`_cloudflare` package, which py/_cloudflare/ stands in for: its import hook is installed for the
import phase here, and an allowed call passes both this guard and the JS backstop.
"""

from __future__ import annotations

import _random
import errno
import functools
import os
import random
import sys

import _pyodide_tier_entropy_js  # registered by lib/isolate.mjs: the JS backstop's permit
from _cloudflare import allow_entropy, import_patch_manager

ENTROPY_MESSAGE = "Cannot get entropy outside of request context"
_state = {"in_request": True}
_originals = {}


def _raise_unless_in_request():
    if not _state["in_request"]:
        raise OSError(errno.EIO, ENTROPY_MESSAGE)


class _BlockedRandom:
    """Stands in for `random` in sys.modules: callables refuse to run before the first request."""

    _allowed = ("Random", "SystemRandom")

    def __init__(self, module):
        object.__setattr__(self, "_module", module)

    def __getattribute__(self, name):
        module = object.__getattribute__(self, "_module")
        value = getattr(module, name)
        if _state["in_request"] or not callable(value) or name in _BlockedRandom._allowed:
            return value

        @functools.wraps(value)
        def refused(*args, **kwargs):
            if not _state["in_request"]:
                raise RuntimeError(f"Cannot use random.{name}() outside of request context")
            return value(*args, **kwargs)

        return refused

    def __setattr__(self, name, value):
        setattr(object.__getattribute__(self, "_module"), name, value)

    def __dir__(self):
        return dir(object.__getattribute__(self, "_module"))


def _permitted(fn, args, kwargs):
    """Run an entropy call the SDK's allowance granted: the JS backstop lets this one through."""
    _pyodide_tier_entropy_js.permitted = True
    try:
        return fn(*args, **kwargs)
    finally:
        _pyodide_tier_entropy_js.permitted = False


def _refusing(fn):
    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        if _state["in_request"]:
            return fn(*args, **kwargs)
        if allow_entropy.take():
            return _permitted(fn, args, kwargs)
        raise OSError(errno.EIO, ENTROPY_MESSAGE)

    return guarded


def _refusing_seed(seed):
    @functools.wraps(seed)
    def guarded(self, *args):
        if not args or args[0] is None:
            _raise_unless_in_request()
        return seed(self, *args)

    return guarded


def begin_import_phase():
    """From now until `end_import_phase`, entropy raises as on workerd before the first request."""
    _state["in_request"] = False
    _originals.update(urandom=os.urandom, _urandom=random._urandom, seed=_random.Random.seed)
    os.urandom = _refusing(os.urandom)
    random._urandom = os.urandom  # SystemRandom captured os.urandom when `random` was imported
    _random.Random.seed = _refusing_seed(_random.Random.seed)
    sys.modules["random"] = _BlockedRandom(random)
    import_patch_manager.install()


def end_import_phase():
    """Entering request context: restore everything and reseed, as workerd does before request 1."""
    _state["in_request"] = True
    import_patch_manager.remove()
    if _originals:
        os.urandom = _originals["urandom"]
        random._urandom = _originals["_urandom"]
        _random.Random.seed = _originals["seed"]
    sys.modules["random"] = random
    random.seed()
