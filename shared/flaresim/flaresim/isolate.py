"""Isolates: each loaded copy of a Worker gets its own copy of the Worker's modules.

On workerd every isolate has its own Python interpreter, so module-level state (a cache, a lazily
built router, a counter) is private to it. flaresim runs several Workers, and several isolates of
one Worker, in one CPython process. It gets the same separation by executing each isolate's modules
with a private `__import__` (through the module's `__builtins__`): imports of the Worker's own
modules and its vendored packages (`python_modules/`) resolve in the isolate's module table;
everything else (the standard library, flaresim's `workers`/`js`/`pyodide` stand-ins) is shared.

Each isolated module is also registered in `sys.modules` under a tagged name (`ai-proxy#0:entry`)
because parts of the standard library (dataclasses, typing) look a class's module up there.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.util
import sys
from collections.abc import Iterable
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from types import ModuleType
from typing import Any

from flaresim import entropy

# Names the runtime provides to every isolate; a vendored copy in python_modules/ must not win.
RUNTIME_MODULES = frozenset(
    {
        "workers",
        "js",
        "pyodide",
        "asgi",
        "_cloudflare_compat_flags",
        "_pyodide_entrypoint_helper",
        "_workers_sdk_patch_loader",
        "_workers_sdk_package_patches",
        "_workers_sdk_entropy_import_context",
    }
)

_original_import = builtins.__import__


class Isolate:
    """A private module table over a search path, with the import hook that fills it."""

    def __init__(self, tag: str, search_path: Iterable[str | Path]) -> None:
        self.tag = tag
        self.search_path = [str(p) for p in search_path]
        self.modules: dict[str, ModuleType] = {}
        self._owned: dict[str, bool] = {}
        self.builtins: dict[str, Any] = dict(vars(builtins))
        self.builtins["__import__"] = self._import

    def import_module(self, name: str) -> ModuleType:
        """Import `name` (and its parents) into this isolate."""
        return self._load(name)

    def close(self) -> None:
        """Forget the isolate's modules (and their tagged `sys.modules` entries)."""
        for name in self.modules:
            sys.modules.pop(self._tagged(name), None)
        self.modules.clear()

    def _tagged(self, name: str) -> str:
        return f"{self.tag}:{name}"

    def _owns(self, top: str) -> bool:
        owned = self._owned.get(top)
        if owned is None:
            owned = top not in RUNTIME_MODULES and find_spec(top, self.search_path) is not None
            self._owned[top] = owned
        return owned

    def _import(
        self,
        name: str,
        globals: dict[str, Any] | None = None,  # noqa: A002 - the signature of __import__
        locals: dict[str, Any] | None = None,  # noqa: A002
        fromlist: tuple[str, ...] | list[str] | None = (),
        level: int = 0,
    ) -> ModuleType:
        if level:
            package = (globals or {}).get("__package__") or ""
            name = _resolve_relative(name, package, level)
        top = name.partition(".")[0]
        if not self._owns(top):
            return _original_import(name, globals, locals, fromlist or (), 0)
        module = self._load(name)
        if fromlist:
            if hasattr(module, "__path__"):
                for item in fromlist:
                    if item == "*":
                        for sub in getattr(module, "__all__", ()):
                            self._load_child(module, name, sub)
                    elif not hasattr(module, item):
                        self._load_child(module, name, item)
            return module
        return self.modules[top]

    def _load_child(self, package: ModuleType, name: str, child: str) -> None:
        try:
            self._load(f"{name}.{child}")
        except ModuleNotFoundError as error:
            # `from pkg import attr` where attr is not a submodule: Python reports it later.
            if error.name != f"{name}.{child}":
                raise

    def _load(self, name: str) -> ModuleType:
        module = self.modules.get(name)
        if module is not None:
            return module
        parent_name, _, child = name.rpartition(".")
        if parent_name:
            parent = self._load(parent_name)
            module = self.modules.get(name)  # the parent's __init__ may have imported it
            if module is not None:
                return module
            spec = find_spec(name, getattr(parent, "__path__", None))
        else:
            parent = None
            spec = find_spec(name, self.search_path)
        if spec is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        module = self._exec(name, spec)
        if parent is not None:
            setattr(parent, child, module)
        return module

    def _exec(self, name: str, spec: ModuleSpec) -> ModuleType:
        module = importlib.util.module_from_spec(spec)
        module.__builtins__ = self.builtins  # type: ignore[attr-defined]
        module.__name__ = self._tagged(name)
        module.__package__ = name if spec.submodule_search_locations is not None else name.rpartition(".")[0]
        self.modules[name] = module
        sys.modules[self._tagged(name)] = module
        try:
            # Run the code ourselves: a loader's exec_module() insists on the module's real name.
            get_code = getattr(spec.loader, "get_code", None)
            if get_code is None:
                raise ImportError(f"flaresim cannot load {name!r} into an isolate (no source loader)")
            code = get_code(name)
            if code is not None:
                with entropy.module_exec(name):
                    exec(code, module.__dict__)  # noqa: S102 - this is what an import does
        except BaseException:
            self.modules.pop(name, None)
            sys.modules.pop(self._tagged(name), None)
            raise
        return module


class _NamespaceLoader(importlib.abc.Loader):
    """Loader of a namespace package (folders without __init__.py, such as `opentelemetry`): no code."""

    def create_module(self, spec: ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        pass

    def get_code(self, name: str) -> None:
        return None


def find_spec(name: str, path: list[str] | None) -> ModuleSpec | None:
    """PathFinder.find_spec, except that a namespace package's folders are a plain list.

    PathFinder wraps them in a _NamespacePath that finds its parent through sys.modules by the real
    name, where isolated modules are not (they are registered under tagged names).
    """
    # _get_spec is find_spec minus that wrapper.
    spec = PathFinder._get_spec(name, path)  # type: ignore[attr-defined]
    if spec is None:
        return None
    if spec.loader is None:
        if not spec.submodule_search_locations:
            return None
        namespace = ModuleSpec(name, _NamespaceLoader(), is_package=True)
        namespace.submodule_search_locations = list(spec.submodule_search_locations)
        return namespace
    return spec


def _resolve_relative(name: str, package: str, level: int) -> str:
    if not package:
        raise ImportError("attempted relative import with no known parent package")
    bits = package.rsplit(".", level - 1)
    if len(bits) < level:
        raise ImportError("attempted relative import beyond top-level package")
    base = bits[0]
    return f"{base}.{name}" if name else base
