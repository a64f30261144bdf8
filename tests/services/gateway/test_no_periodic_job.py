"""The gateway only validates, asks and answers (issue 24): no module of it schedules work on a timer.

The notices that fall due with time (token expiry, failure digests, seats) are the notifier's
(services/notifier/scheduled/), and so are their settings.
"""

import ast
from pathlib import Path

import services.gateway
from services.gateway.settings import GatewaySettings

SCHEDULED_SETTINGS = {"reminder_interval_seconds", "failure_digest_minutes", "failure_digest_check_seconds",
                      "seat_notice_interval_seconds"}


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_no_gateway_module_runs_work_periodically():
    modules = list(Path(services.gateway.__file__).parent.rglob("*.py"))
    assert len(modules) > 20
    offenders = {str(path): name for path in modules for name in imported_names(path)
                 if name.endswith(".periodically") or name == "shared.periodic"}
    assert offenders == {}


def test_the_scheduled_notices_settings_are_not_the_gateways():
    assert SCHEDULED_SETTINGS.isdisjoint(GatewaySettings.model_fields)
