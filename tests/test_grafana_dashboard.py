"""grafana-dashboard.json (beside compose.yaml) asks only for metrics the processes define, and shows
every one of them: a metric renamed or added without its panel fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

import shared.metrics.commands
import shared.metrics.database
import shared.metrics.emails
import shared.metrics.events
import shared.metrics.http
import shared.metrics.requests  # noqa: F401 - imported for the metrics they define

ROOT = Path(__file__).resolve().parents[1]
#: The samples each kind of metric exposes, after its family's name.
SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}


@pytest.fixture(scope="module")
def expressions() -> list[str]:
    dashboard = json.loads((ROOT / "grafana-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def ours() -> dict[str, set[str]]:
    """Each scimflow metric family's name -> the sample names it exposes."""
    return {family.name: {family.name + suffix for suffix in SUFFIXES[family.type]}
            for family in REGISTRY.collect() if family.name.startswith("scimflow_")}


def test_the_dashboard_asks_only_for_samples_that_exist(expressions):
    exposed = set().union(*ours().values())
    asked = {name for expr in expressions for name in re.findall(r"scimflow_\w+", expr)}
    assert asked and asked <= exposed, asked - exposed


def test_every_metric_has_a_panel(expressions):
    shown = " ".join(expressions)
    assert [family for family, samples in ours().items() if not any(s in shown for s in samples)] == []
