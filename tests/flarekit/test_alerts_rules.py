"""ALERT_RULES parsing: frozen rules, defaults, and errors that name the bad field."""

from __future__ import annotations

import dataclasses
import json

import pytest

from flarekit.alerts.rules import (
    BudgetRule,
    CircuitOpenRule,
    ErrorRateRule,
    IngestRejectionsRule,
    LatencyRule,
    parse_alert_config,
)
from flarekit.errors import ConfigurationError


def test_without_configuration_the_default_rules_cover_every_kind():
    config = parse_alert_config(None)
    kinds = {type(rule) for rule in config.rules}
    assert kinds == {ErrorRateRule, LatencyRule, CircuitOpenRule, BudgetRule, IngestRejectionsRule}
    assert sorted(r.threshold for r in config.rules if isinstance(r, BudgetRule)) == [0.8, 1.0]
    assert config.cooldown_minutes == 30


def test_rules_are_parsed_into_frozen_records():
    config = parse_alert_config(
        json.dumps(
            {
                "cooldown_minutes": 10,
                "rules": [
                    {"name": "errors", "kind": "error_rate", "threshold": 0.1, "for_minutes": 3, "worker": "ai-proxy"},
                    {"name": "slow", "kind": "latency_p95", "threshold_ms": 2500},
                ],
            }
        )
    )
    errors, slow = config.rules
    assert errors == ErrorRateRule("errors", "error_rate", "ai-proxy", 0.1, 3, 1)
    assert slow == LatencyRule("slow", "latency_p95", None, 2500.0, 5, 1)
    assert config.cooldown_minutes == 10
    assert config.lookback_minutes == 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        errors.threshold = 0.5  # type: ignore[misc]


def test_a_bare_list_of_rules_is_accepted():
    assert len(parse_alert_config('[{"kind": "circuit_open"}]').rules) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "ALERT_RULES is not valid JSON"),
        ('{"rules": 3}', "ALERT_RULES.rules must be a list"),
        ('[{"kind": "moon_phase"}]', r"ALERT_RULES.rules\[0\].kind must be one of"),
        ('[{"kind": "circuit_open"}, {"kind": "error_rate", "threshold": 5}]', r"ALERT_RULES.rules\[1\].threshold"),
        ('[{"kind": "error_rate", "for_minutes": 0}]', r"ALERT_RULES.rules\[0\].for_minutes must be an integer >= 1"),
        ('[{"kind": "latency_p95", "threshold_ms": "fast"}]', r"ALERT_RULES.rules\[0\].threshold_ms"),
        ('[{"kind": "budget", "name": ""}]', r"ALERT_RULES.rules\[0\].name"),
        ('[{"kind": "budget", "worker": 3}]', r"ALERT_RULES.rules\[0\].worker"),
        ('[{"kind": "budget"}, {"kind": "budget"}]', "two rules named 'budget'"),
        ('{"rules": [], "cooldown_minutes": -1}', "ALERT_RULES.cooldown_minutes"),
    ],
)
def test_bad_configuration_names_the_field(text, message):
    with pytest.raises(ConfigurationError, match=message):
        parse_alert_config(text)
