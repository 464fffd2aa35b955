"""Alerts: rules from configuration, evaluated on a cron over the aggregated metrics, notified once
per incident (with a cooldown, and a message when it resolves) to a Telegram admin chat and an
optional webhook.

- `rules`: the `ALERT_RULES` configuration; `evaluation`: which rules fire now (pure);
- `incidents`: incident state and the notifications its transitions produce;
- `notifiers`: Telegram Bot API and generic webhook; `runner`: one evaluation, end to end.
"""
