"""The notifier's dispatcher and outbox on a real SQLite file or a real PostgreSQL database (``database``:
each test that asks for it runs on both), and a real SMTP server that keeps mail.

The SMTP server (tests/support/smtp.py) can be stopped and started again to play an outage.
"""

from __future__ import annotations

import pytest

from services.notifier.bootstrap import bootstrap
from services.notifier.settings import NotifierSettings
from shared.devtools.local_kafka import free_port
from shared.messaging.ping import ServiceIdentity
from tests.support.clock import FakeClock as Clock
from tests.support.smtp import SmtpServer


@pytest.fixture
def smtp():
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path, smtp, database) -> NotifierSettings:
    # A long poll: tests drive delivery themselves through the outbox, so nothing races them.
    return NotifierSettings(data_dir=tmp_path, smtp_port=smtp.port, delivery_poll_seconds=3600,
                            smtp_timeout_seconds=2, **database)


@pytest.fixture
async def notifier(settings, clock):
    async with bootstrap(settings, ServiceIdentity("notifier", "t"), clock=clock) as dispatcher:
        yield dispatcher
