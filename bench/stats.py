"""Latency statistics of one phase: pure functions, no I/O (unit-tested in tests/bench)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation between ranks (numpy's default).

    NaN for no values, so an empty phase shows as "-" rather than as a fast one.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, not {q}")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Timings:
    """What the load client saw in one run: each call's latency (s), errors by kind, wall time (s)."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # error kind -> the start of its first answer
    wall: float = 0.0

    def fail(self, kind: str, example: str = "") -> None:
        self.errors[kind] += 1
        self.examples.setdefault(kind, example[:160])

    @property
    def ops(self) -> int:
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rate(self) -> float:
        """Completed calls (failed ones too) per second of wall time."""
        return self.ops / self.wall if self.wall > 0 else math.nan

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000
