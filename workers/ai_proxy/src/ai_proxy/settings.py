"""The proxy's settings, read from `env` once per isolate: vars, secrets and `GATEWAY_CONFIG`.

Vars: `ENVIRONMENT` ("production" in wrangler.toml; `.dev.vars.example` says "development"),
`DEFAULT_MODEL`, `DEFAULT_EMBEDDING_MODEL`, `GATEWAY_CONFIG` (JSON, a table in wrangler.toml, or -
locally - a path to a JSON file). Secrets: `PROXY_API_KEYS` (comma-separated, each `key` or
`name=key`), `ADMIN_TOKEN`, `TELEMETRY_INGEST_TOKEN`, and whatever `api_key_env` names.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ai_proxy.gateway_config import GatewayConfig, default_config, parse_gateway_config
from flarekit.errors import ConfigurationError
from flarekit.llm.deployments import Secret

DEFAULT_MODEL = "@cf/zai-org/glm-4.7-flash"
DEFAULT_EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"
PRODUCTION = "production"


@dataclass(frozen=True)
class StaticKey:
    """A key from `PROXY_API_KEYS`: only its sha256 is kept, with a name and a stable id."""

    name: str
    key_id: str
    digest: bytes


@dataclass(frozen=True)
class Settings:
    environment: str
    gateway: GatewayConfig
    static_keys: tuple[StaticKey, ...]
    admin_token: Secret
    telemetry_token: Secret
    default_model: str

    @property
    def production(self) -> bool:
        return self.environment == PRODUCTION

    @property
    def keys_configured(self) -> bool:
        """Whether any way to authenticate exists (static keys, or an admin who can make virtual keys)."""
        return bool(self.static_keys) or bool(self.admin_token)


def _read(env: Any, name: str) -> Any:
    value = getattr(env, name, None)
    return None if value is None or value == "" else value


def parse_static_keys(value: str | None) -> tuple[StaticKey, ...]:
    """`PROXY_API_KEYS`: `sk-a,ci=sk-b` -> keys named by their `name=` or by a digest prefix."""
    keys = []
    for index, entry in enumerate((value or "").split(",")):
        entry = entry.strip()
        if not entry:
            continue
        name, sep, key = entry.partition("=")
        if not sep or not name or name.startswith("sk-"):
            name, key = "", entry
        digest = hashlib.sha256(key.encode()).digest()
        key_id = "sk_" + digest.hex()[:16]
        keys.append(StaticKey(name or f"static-{index + 1}", key_id, digest))
    return tuple(keys)


def _config_source(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        # A table in wrangler.toml [vars] arrives as a JS object in production.
        to_py = getattr(value, "to_py", None)
        return to_py() if to_py is not None else value
    text = value.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError as error:
            raise ConfigurationError(f"GATEWAY_CONFIG: not valid JSON ({error})") from None
    # Locally a path is welcome (Workers have no file system, so production needs the JSON itself).
    try:
        with open(text, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise ConfigurationError(f"GATEWAY_CONFIG: neither JSON nor a readable file ({error})") from None
    except ValueError as error:
        raise ConfigurationError(f"GATEWAY_CONFIG: the file {text!r} is not valid JSON ({error})") from None


def load_settings(env: Any) -> Settings:
    """Read and validate everything once; a ConfigurationError names the variable or field."""
    default_model = str(_read(env, "DEFAULT_MODEL") or DEFAULT_MODEL)
    embedding_model = str(_read(env, "DEFAULT_EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL)
    source = _config_source(_read(env, "GATEWAY_CONFIG"))
    if source is None:
        gateway = default_config(default_model, embedding_model)
    else:
        gateway = parse_gateway_config(source, lambda name: _read(env, name))
    return Settings(
        environment=str(_read(env, "ENVIRONMENT") or PRODUCTION),
        gateway=gateway,
        static_keys=parse_static_keys(_read(env, "PROXY_API_KEYS")),
        admin_token=Secret(_read(env, "ADMIN_TOKEN") or ""),
        telemetry_token=Secret(_read(env, "TELEMETRY_INGEST_TOKEN") or ""),
        default_model=default_model,
    )
