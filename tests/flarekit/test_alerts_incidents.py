"""Incidents: one message when a rule starts firing, one when it stops, flapping held by the cooldown."""

from __future__ import annotations

from flarekit.alerts.evaluation import Firing
from flarekit.alerts.incidents import OPEN, RESOLVED, Notification, plan
from flarekit.alerts.notifiers import TelegramNotifier, WebhookNotifier, message_text, webhook_payload
from flarekit.alerts.rules import CircuitOpenRule

RULE = CircuitOpenRule("provider down", "circuit_open", None)
COOLDOWN = 30 * 60_000
T0 = 1_790_000_000_000


class Incidents:
    """Applies every change, as the runner does when delivery succeeds; keeps the messages."""

    def __init__(self):
        self.state = {}
        self.messages = []

    def step(self, firing_subjects, at_ms):
        firing = [Firing(RULE, s, 1.0, f"provider {s}: circuit open") for s in firing_subjects]
        for change in plan(self.state, firing, at_ms, COOLDOWN):
            self.state[(change.incident.rule, change.incident.subject)] = change.incident
            if change.notification:
                self.messages.append((change.notification.status, change.notification.subject))


def test_an_outage_gives_one_alert_and_one_resolved_message():
    incidents = Incidents()
    incidents.step(["openai"], T0)
    for minute in range(1, 10):  # still down for nine more evaluations
        incidents.step(["openai"], T0 + minute * 60_000)
    incidents.step([], T0 + 10 * 60_000)
    incidents.step([], T0 + 11 * 60_000)
    assert incidents.messages == [("firing", "openai"), ("resolved", "openai")]
    assert incidents.state[("provider down", "openai")].status == RESOLVED


def test_each_subject_is_its_own_incident():
    incidents = Incidents()
    incidents.step(["openai", "anthropic"], T0)
    incidents.step(["anthropic"], T0 + 60_000)
    assert incidents.messages == [("firing", "openai"), ("firing", "anthropic"), ("resolved", "openai")]


def test_a_flap_within_the_cooldown_is_not_announced_again():
    incidents = Incidents()
    incidents.step(["openai"], T0)
    incidents.step([], T0 + 60_000)
    incidents.step(["openai"], T0 + 2 * 60_000)  # back within the cooldown: silent
    incidents.step([], T0 + 3 * 60_000)  # and a silent incident resolves silently
    assert incidents.messages == [("firing", "openai"), ("resolved", "openai")]


def test_a_silent_incident_still_firing_after_the_cooldown_is_announced():
    incidents = Incidents()
    incidents.step(["openai"], T0)
    incidents.step([], T0 + 60_000)
    incidents.step(["openai"], T0 + 2 * 60_000)
    incidents.step(["openai"], T0 + COOLDOWN + 60_000)
    assert incidents.messages == [("firing", "openai"), ("resolved", "openai"), ("firing", "openai")]
    assert incidents.state[("provider down", "openai")].status == OPEN


def test_a_new_outage_after_the_cooldown_is_a_new_incident():
    incidents = Incidents()
    incidents.step(["openai"], T0)
    incidents.step([], T0 + 60_000)
    incidents.step(["openai"], T0 + COOLDOWN + 120_000)
    assert incidents.messages == [("firing", "openai"), ("resolved", "openai"), ("firing", "openai")]


def test_messages_say_what_fired_and_when():
    note = Notification(
        "firing", "provider down", "circuit_open", "openai", "provider openai: circuit open", 1.0, T0, T0
    )
    text = message_text(note, "https://telemetry.example/dashboard")
    assert text.splitlines() == [
        "ALERT: provider down [openai]",
        "provider openai: circuit open",
        "since 2026-09-21 14:13 UTC",
        "https://telemetry.example/dashboard",
    ]
    resolved = Notification("resolved", "provider down", "", "openai", "x", None, T0, T0 + 12 * 60_000)
    assert message_text(resolved).startswith("RESOLVED: provider down [openai]\nafter 12 min")
    assert webhook_payload(note)["status"] == "firing" and webhook_payload(note)["subject"] == "openai"


def test_notifiers_never_show_their_secrets():
    assert "123:secret" not in repr(TelegramNotifier("https://api.telegram.org", "123:secret", "42"))
    assert "hook-secret" not in repr(WebhookNotifier("https://hooks.example/x", "hook-secret"))
