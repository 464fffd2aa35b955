"""Fixed histogram buckets: where values land, and quantiles estimated from bucket counts."""

from __future__ import annotations

import pytest

from flarekit.metrics.buckets import BUCKET_COUNT, LATENCY_BOUNDS_MS, bucket_index, cumulative, quantile


@pytest.mark.parametrize(
    ("value", "index"),
    [(0, 0), (5, 0), (5.01, 1), (10, 1), (99.9, 4), (100, 4), (60000, 12), (60000.5, 13), (10**9, 13)],
)
def test_a_value_lands_in_the_first_bucket_whose_bound_is_at_least_it(value, index):
    assert bucket_index(value) == index


def test_there_is_one_bucket_per_bound_plus_infinity():
    assert BUCKET_COUNT == len(LATENCY_BOUNDS_MS) + 1


def test_quantile_interpolates_inside_the_bucket_holding_the_rank():
    counts = [0] * BUCKET_COUNT
    counts[bucket_index(80)] = 10  # ten requests in (50, 100]
    assert quantile(counts, 0.5) == pytest.approx(75.0)
    assert quantile(counts, 1.0) == pytest.approx(100.0)


def test_quantiles_separate_a_slow_tail_from_the_bulk():
    counts = [0] * BUCKET_COUNT
    counts[bucket_index(20)] = 95
    counts[bucket_index(3000)] = 5
    assert quantile(counts, 0.5) <= 25
    assert quantile(counts, 0.99) > 2500


def test_a_rank_in_the_infinite_bucket_reports_the_highest_finite_bound():
    counts = [0] * BUCKET_COUNT
    counts[-1] = 3
    assert quantile(counts, 0.5) == LATENCY_BOUNDS_MS[-1]


def test_no_observations_give_no_quantile():
    assert quantile([0] * BUCKET_COUNT, 0.95) is None


def test_cumulative_counts_end_at_the_total():
    assert cumulative([1, 0, 2, 3]) == [1, 1, 3, 6]
