"""A Worker's `wrangler.toml`, `.dev.vars` and environment overrides, parsed once."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigurationError(Exception):
    """A wrangler.toml or .dev.vars that flaresim cannot run, with the file and field named."""


@dataclass(frozen=True)
class KVBinding:
    binding: str
    id: str


@dataclass(frozen=True)
class DurableObjectBinding:
    name: str
    class_name: str
    script_name: str | None = None


@dataclass(frozen=True)
class ServiceBinding:
    binding: str
    service: str
    entrypoint: str | None = None


@dataclass(frozen=True)
class AnalyticsEngineBinding:
    binding: str
    dataset: str


@dataclass(frozen=True)
class WorkerConfig:
    """Everything flaresim needs to run one Worker directory."""

    directory: Path
    name: str
    main: Path
    compatibility_date: str
    compatibility_flags: tuple[str, ...]
    vars: Mapping[str, Any]
    secrets: Mapping[str, str]
    kv_namespaces: tuple[KVBinding, ...] = ()
    durable_objects: tuple[DurableObjectBinding, ...] = ()
    services: tuple[ServiceBinding, ...] = ()
    ai_binding: str | None = None
    analytics_engine: tuple[AnalyticsEngineBinding, ...] = ()
    crons: tuple[str, ...] = ()
    migrations: tuple[Mapping[str, Any], ...] = ()
    dev_port: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def port_variable(self) -> str:
        """The environment variable that overrides this Worker's local port (`AI_PROXY_PORT`)."""
        return self.name.upper().replace("-", "_") + "_PORT"

    @property
    def sqlite_classes(self) -> frozenset[str]:
        """Durable Object classes declared SQLite-backed by the migrations."""
        names: set[str] = set()
        for migration in self.migrations:
            names.update(migration.get("new_sqlite_classes", ()))
            for rename in migration.get("renamed_classes", ()):
                if rename.get("from") in names:
                    names.add(rename.get("to"))
            names.difference_update(migration.get("deleted_classes", ()))
        return frozenset(names)

    @property
    def module_search_path(self) -> list[Path]:
        """Where the Worker's modules come from: the main module's folder, then python_modules/."""
        return [self.main.parent, self.directory / "python_modules"]


def parse_dev_vars(path: Path) -> dict[str, str]:
    """Parse a `.dev.vars` file (dotenv syntax: KEY=value, optional quotes, # comments)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"{path}:{number}: expected KEY=value, got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _require(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ConfigurationError(f"{where}: missing required field {key!r}")
    return table[key]


def load_worker_config(
    directory: str | os.PathLike[str],
    environ: Mapping[str, str] | None = None,
    *,
    dev_vars: str = ".dev.vars",
    overrides: Mapping[str, str] | None = None,
) -> WorkerConfig:
    """Read `<directory>/wrangler.toml` and its secrets file (`.dev.vars`).

    A process variable overrides a var or secret of the same name (as `wrangler dev --var` does);
    `overrides` set vars or secrets outright (tests use them).
    """
    directory = Path(directory).resolve()
    path = directory / "wrangler.toml"
    if not path.is_file():
        raise ConfigurationError(f"{directory}: no wrangler.toml (is this a Worker directory?)")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path}: {error}") from error
    where = str(path)
    name = _require(data, "name", where)
    main = directory / _require(data, "main", where)
    if main.suffix != ".py":
        raise ConfigurationError(f"{where}: main must be a Python module, got {main.name!r}")
    flags = tuple(data.get("compatibility_flags", ()))
    if "python_workers" not in flags:
        raise ConfigurationError(f"{where}: compatibility_flags must include 'python_workers'")
    environ = os.environ if environ is None else environ
    plain_vars = dict(data.get("vars", {}))
    secrets = parse_dev_vars(directory / dev_vars)
    for key in list(plain_vars):
        if key in environ:
            plain_vars[key] = environ[key]
    for key in list(secrets):
        if key in environ:
            secrets[key] = environ[key]
    for key, value in (overrides or {}).items():
        # A name in both wrangler.toml and the secrets file is overridden in both (the secret wins in env).
        if key in plain_vars:
            plain_vars[key] = value
        if key in secrets or key not in plain_vars:
            secrets[key] = value
    durable = data.get("durable_objects", {}).get("bindings", [])
    ai = data.get("ai")
    return WorkerConfig(
        directory=directory,
        name=name,
        main=main,
        compatibility_date=_require(data, "compatibility_date", where),
        compatibility_flags=flags,
        vars=plain_vars,
        secrets=secrets,
        kv_namespaces=tuple(
            KVBinding(_require(kv, "binding", f"{where} kv_namespaces"), str(kv.get("id") or kv["binding"]))
            for kv in data.get("kv_namespaces", [])
        ),
        durable_objects=tuple(
            DurableObjectBinding(
                _require(do, "name", f"{where} durable_objects"),
                _require(do, "class_name", f"{where} durable_objects"),
                do.get("script_name"),
            )
            for do in durable
        ),
        services=tuple(
            ServiceBinding(
                _require(s, "binding", f"{where} services"),
                _require(s, "service", f"{where} services"),
                s.get("entrypoint"),
            )
            for s in data.get("services", [])
        ),
        ai_binding=ai.get("binding") if isinstance(ai, dict) else None,
        analytics_engine=tuple(
            AnalyticsEngineBinding(
                _require(a, "binding", f"{where} analytics_engine_datasets"), a.get("dataset", a["binding"])
            )
            for a in data.get("analytics_engine_datasets", [])
        ),
        crons=tuple(data.get("triggers", {}).get("crons", ())),
        migrations=tuple(data.get("migrations", ())),
        dev_port=data.get("dev", {}).get("port"),
        raw=data,
    )
