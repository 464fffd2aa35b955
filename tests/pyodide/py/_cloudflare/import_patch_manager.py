"""The import hook behind the SDK's `register_exec_patch` and friends.

During the import phase (py/entropy_guard.py installs and removes it, as workerd does around the
main module's import), importing a registered module runs its loader's `create_module` /
`exec_module` inside the registered context manager. `block_calls` makes a module's callables
refuse until the first request; `register_before_first_request` callbacks run then.
"""

from __future__ import annotations

import functools
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any


@dataclass
class Patch:
    create: Any = nullcontext
    exec: Any = nullcontext
    before_first_request: Any = None


patches: dict[str, Patch] = {}
_first_request_callbacks: list[Any] = []
_blocked: dict[str, Any] = {}
_state = {"in_request": False}


def _register(field: str, name: str, value: Any = None) -> Any:
    if value is None:
        return functools.partial(_register, field, name)
    setattr(patches.setdefault(name, Patch()), field, value)
    return value


def register_create_patch(name: str, context_manager: Any = None) -> Any:
    return _register("create", name, context_manager)


def register_exec_patch(name: str, context_manager: Any = None) -> Any:
    return _register("exec", name, context_manager)


def register_before_first_request(name: str, handler: Any = None) -> Any:
    return _register("before_first_request", name, handler)


def register_after_snapshot(name: str, handler: Any = None) -> Any:
    # Snapshots are workerd's; this harness takes none, so there is nothing to run after one.
    return handler if handler is not None else (lambda fn: fn)


class _PatchedLoader:
    def __init__(self, loader: Any, patch: Patch) -> None:
        self._loader = loader
        self._patch = patch

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> Any:
        with self._patch.create(spec):
            return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        if self._patch.before_first_request is not None:
            _first_request_callbacks.append(functools.partial(self._patch.before_first_request, module))
        with self._patch.exec(module):
            self._loader.exec_module(module)


class _PatchFinder:
    def invalidate_caches(self) -> None:
        pass

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        patch = patches.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                spec.loader = _PatchedLoader(spec.loader, patch)
                return spec
        return None


_FINDER = _PatchFinder()


def install() -> None:
    """Start patching imports (the main module's import phase)."""
    _state["in_request"] = False
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def remove() -> None:
    """Stop patching, unblock modules and run the before-first-request callbacks."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    _state["in_request"] = True
    sys.modules.update(_blocked)
    for callback in _first_request_callbacks:
        callback()
    _first_request_callbacks.clear()


class _BlockedModule:
    def __init__(self, module: Any, allowlist: tuple[str, ...]) -> None:
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_allowlist", allowlist)

    def __getattribute__(self, name: str) -> Any:
        module = object.__getattribute__(self, "_module")
        value = getattr(module, name)
        if _state["in_request"] or not callable(value) or name in object.__getattribute__(self, "_allowlist"):
            return value

        @functools.wraps(value)
        def refused(*args: Any, **kwargs: Any) -> Any:
            if not _state["in_request"]:
                raise RuntimeError(f"Cannot use {module.__name__}.{name}() outside of request context")
            return value(*args, **kwargs)

        return refused

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_module"), name, value)

    def __dir__(self) -> list[str]:
        return dir(object.__getattribute__(self, "_module"))


def block_calls(module: Any, *, allowlist: tuple[str, ...] = ()) -> None:
    """Until the first request, `module`'s callables (bar `allowlist`) raise when called."""
    _blocked[module.__name__] = module
    sys.modules[module.__name__] = _BlockedModule(module, allowlist)
