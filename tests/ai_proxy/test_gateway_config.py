"""GATEWAY_CONFIG is validated once into frozen records; every error names the bad field."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ai_proxy.gateway_config import parse_gateway_config
from ai_proxy.settings import load_settings, parse_static_keys
from flarekit.errors import ConfigurationError

SECRETS = {"OPENAI_KEY": "sk-x"}


def _config(**changes):
    config = {
        "providers": {"oai": {"type": "openai", "api_key_env": "OPENAI_KEY"}, "cf": {"type": "workers-ai"}},
        "models": {"gpt-4o-mini": [{"provider": "oai", "model": "gpt-4o-mini"}, {"provider": "cf", "model": "@cf/x"}]},
    }
    for path, value in changes.items():
        target = config
        *parents, last = path.split("__")
        for part in parents:
            target = target.setdefault(part, {}) if not part.isdigit() else target[int(part)]
        target[last] = value
    return config


def _parse(config):
    return parse_gateway_config(config, SECRETS.get)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"providers__oai__type": "openia"}, "GATEWAY_CONFIG.providers.oai.type: unknown provider type 'openia'"),
        (
            {"providers__oai__api_key_env": "MISSING"},
            "GATEWAY_CONFIG.providers.oai.api_key_env: the secret 'MISSING' is not set",
        ),
        ({"providers__oai__base_url": "ftp://x"}, "GATEWAY_CONFIG.providers.oai.base_url: must be an http(s) URL"),
        ({"providers__oai__colour": "red"}, "GATEWAY_CONFIG.providers.oai.colour: unknown field"),
        ({"models__gpt-4o-mini": []}, "GATEWAY_CONFIG.models.gpt-4o-mini: expected a non-empty list"),
        ({"routing__strategy": "fastest"}, "routing.strategy: unknown strategy 'fastest'"),
        ({"routing__timeouts__connect_ms": -1}, "GATEWAY_CONFIG.routing.timeouts.connect_ms: invalid value -1"),
        ({"routing__retry__max_attempts": "3"}, "GATEWAY_CONFIG.routing.retry.max_attempts: invalid value '3'"),
        ({"cache__ttl_s": 30}, "GATEWAY_CONFIG.cache.ttl_s: invalid value 30"),
        ({"limits__requests_per_minute": True}, "GATEWAY_CONFIG.limits.requests_per_minute: invalid value True"),
        ({"limits__algorithm": "leaky"}, "GATEWAY_CONFIG.limits.algorithm: unknown algorithm 'leaky'"),
        ({"default_model": "gpt-5"}, "GATEWAY_CONFIG.default_model: 'gpt-5' is not a model alias"),
        ({"stratgy": "priority"}, "GATEWAY_CONFIG.stratgy: unknown field"),
    ],
)
def test_a_bad_field_is_named_in_the_error(changes, message):
    config = _config(**changes)
    with pytest.raises(ConfigurationError) as caught:
        _parse(config)
    assert message in str(caught.value)


def test_a_deployment_naming_an_unknown_provider_says_which():
    config = _config()
    config["models"]["gpt-4o-mini"][1]["provider"] = "azure"
    with pytest.raises(ConfigurationError, match=r"models\.gpt-4o-mini\[1\]\.provider: unknown provider 'azure'"):
        _parse(config)


def test_a_valid_config_becomes_frozen_records_with_defaults():
    parsed = _parse(_config(routing={"strategy": "cheapest"}, limits={"requests_per_minute": 60}))
    assert parsed.strategy == "cheapest"
    assert [d.id for d in parsed.models["gpt-4o-mini"]] == ["oai/gpt-4o-mini", "cf/@cf/x"]
    assert parsed.models["gpt-4o-mini"][0].price.input_per_mtok == 0.15  # the default price table
    assert parsed.providers["oai"].base_url == "https://api.openai.com/v1"
    assert "sk-x" not in repr(parsed.providers["oai"])  # secrets are masked
    assert parsed.key_policy.limits[0].limit == 60 and parsed.timeouts.total == 120.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.strategy = "priority"


class _Env:
    def __init__(self, **values):
        self.__dict__.update(values)


def test_no_config_sends_everything_to_workers_ai_with_the_default_model():
    settings = load_settings(_Env(ENVIRONMENT="development"))
    gateway = settings.gateway
    assert gateway.default_model == "@cf/zai-org/glm-4.7-flash" and gateway.passthrough_workers_ai
    assert settings.production is False


def test_production_is_the_default_environment():
    assert load_settings(_Env()).production is True


def test_the_config_may_be_a_file_path_locally(tmp_path):
    path = tmp_path / "gateway.json"
    path.write_text(json.dumps(_config()))
    settings = load_settings(_Env(GATEWAY_CONFIG=str(path), OPENAI_KEY="sk-x"))
    assert list(settings.gateway.models) == ["gpt-4o-mini"]


def test_malformed_json_is_reported_as_such():
    with pytest.raises(ConfigurationError, match="GATEWAY_CONFIG: not valid JSON"):
        load_settings(_Env(GATEWAY_CONFIG='{"providers": '))


def test_static_keys_may_carry_names():
    keys = parse_static_keys("sk-a, ci=sk-b ,")
    assert [k.name for k in keys] == ["static-1", "ci"]
    assert keys[0].key_id != keys[1].key_id and all(k.key_id.startswith("sk_") for k in keys)


async def test_a_bad_config_answers_500_naming_the_field(start_proxy):
    proxy = await start_proxy(_config(routing={"strategy": "fastest"}), env={"OPENAI_KEY": "sk-x"})
    status, _, answer = await proxy.request("GET", "/v1/models", headers={"authorization": "Bearer sk-flarekit-dev"})
    assert status == 500 and "routing.strategy" in answer["error"]["message"]
    assert (await proxy.request("GET", "/health"))[0] == 200
