"""Prometheus text rendering of the aggregator's totals (the real parser checks it in tests/monitoring)."""

from __future__ import annotations

from flarekit.metrics.buckets import BUCKET_COUNT, bucket_index
from flarekit.metrics.prometheus import escape_label, render
from flarekit.metrics.rollup_store import DIM_COLUMNS, VALUE_COLUMNS


def row(**values):
    out = dict.fromkeys(DIM_COLUMNS, "")
    out.update(dict.fromkeys(VALUE_COLUMNS, 0))
    out.update(worker="ai-proxy", route="/v1/chat/completions", method="POST", status=200, outcome="ok")
    out.update(values)
    return out


def _observe(durations_ms, **labels):
    values = {f"d{i}": 0 for i in range(BUCKET_COUNT)}
    for duration in durations_ms:
        values[f"d{bucket_index(duration)}"] += 1
    return row(requests=len(durations_ms), dur_sum=float(sum(durations_ms)), **values, **labels)


def _samples(text, name):
    return [line for line in text.splitlines() if line.startswith(name) and not line.startswith("#")]


def test_label_values_escape_backslashes_quotes_and_newlines():
    assert escape_label('a\\b"c\nd') == 'a\\\\b\\"c\\nd'


def test_every_family_has_help_and_type_lines():
    text = render([_observe([10])])
    names = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
    assert {"flarekit_requests_total", "flarekit_request_duration_seconds"} <= names
    for name in names:
        assert f"# HELP {name} " in text


def test_request_counter_carries_every_label():
    text = render([_observe([10, 20], model="gpt-4o", provider="openai", key_name="team-a", cache="miss")])
    (line,) = _samples(text, "flarekit_requests_total")
    assert 'model="gpt-4o"' in line and 'key="team-a"' in line and 'cache="miss"' in line
    assert line.endswith(" 2")


def test_histogram_buckets_are_cumulative_in_seconds_and_end_with_count():
    text = render([_observe([3, 40, 40, 2000])])
    buckets = _samples(text, "flarekit_request_duration_seconds_bucket")
    values = [int(line.rsplit(" ", 1)[1]) for line in buckets]
    assert values == sorted(values)
    assert 'le="0.005"} 1' in buckets[0]
    assert buckets[-1].endswith('le="+Inf"} 4')
    assert _samples(text, "flarekit_request_duration_seconds_count")[0].endswith(" 4")
    assert _samples(text, "flarekit_request_duration_seconds_sum")[0].endswith(" 2.083")


def test_histograms_merge_label_sets_that_differ_only_by_status_or_key():
    text = render([_observe([10], key_name="a"), _observe([10, 10], key_name="b", status=500, outcome="error")])
    assert _samples(text, "flarekit_request_duration_seconds_count") == [
        'flarekit_request_duration_seconds_count{worker="ai-proxy",route="/v1/chat/completions",model="",provider=""} 3'
    ]


def test_cost_is_rendered_in_dollars_and_tokens_by_type():
    text = render([row(requests=1, model="m", key_name="k", cost_micro=1_250_000, in_tok=10, out_tok=5)])
    assert _samples(text, "flarekit_cost_usd_total")[0].endswith(" 1.25")
    assert _samples(text, "flarekit_input_tokens_total")[0].endswith(" 10")
    assert _samples(text, "flarekit_output_tokens_total")[0].endswith(" 5")


def test_rejections_are_counted_by_reason():
    text = render([row(requests=3, status=429, outcome="rate_limited", key_name="k"), row(requests=1)])
    assert _samples(text, "flarekit_rejections_total") == [
        'flarekit_rejections_total{worker="ai-proxy",key="k",reason="rate_limited"} 3'
    ]


def test_circuit_state_is_a_gauge_per_state():
    text = render([], circuits=[{"provider": "openai", "state": "open", "changed_ms": 0, "updated_ms": 0}])
    assert 'flarekit_provider_circuit_state{provider="openai",state="open"} 1' in text
    assert 'flarekit_provider_circuit_state{provider="openai",state="closed"} 0' in text


def test_an_empty_aggregator_still_renders_valid_families():
    text = render([])
    assert text.endswith("\n")
    assert "# TYPE flarekit_requests_total counter" in text
