"""A service whose database a newer release migrated refuses to start, saying so in one line (issue 25):
writing it with older code could break the newer release's rules for its new columns."""

from __future__ import annotations

import sqlite3

import pytest

from shared.devtools.broker_choice import BrokerAccess
from tests.integration.conftest import exit_of, new_system

pytestmark = pytest.mark.integration

def test_the_sync_status_reporter_refuses_a_database_of_a_newer_release(kafka_broker: BrokerAccess, tmp_path):
    system = new_system(kafka_broker, tmp_path)
    database = system.data_dir / "sync_status" / "sync_status.sqlite3"
    database.parent.mkdir(parents=True)
    with sqlite3.connect(database) as newer:  # what a release with a 99th migration leaves
        newer.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        newer.execute("INSERT INTO alembic_version VALUES ('0099')")
    status, log = exit_of(system, "sync_status")
    assert status == 1, log
    assert ("scimflow: cannot start: the sync_status database is at schema revision 0099, which this release does "
            "not know (the newest it knows is 0001)") in log, log
    said = [line for line in log.splitlines() if not line.startswith('{"ts"')]  # all but its JSON log records
    assert len(said) == 1 and "Traceback" not in log and '"level":"error"' not in log, log
