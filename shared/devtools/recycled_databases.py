"""Fresh PostgreSQL databases for tests, made once and wiped for the next test instead of dropped and made again.

Several hundred tests each want a database of their own. ``CREATE DATABASE`` copies the template (~7 MB) and
``DROP DATABASE`` removes it: measured side by side on a loaded 2-core machine, 114 ms a test against 33 ms for a
wipe. The services make nothing but schemas of their own (shared/postgres/engine.py), so a database whose test's
schemas are dropped is again as a new one is.

Nothing is taken on trust: before a database goes to another test, every connection to it is closed (as ``DROP
DATABASE ... WITH (FORCE)`` would), the schemas made in it are dropped, and what it then holds is compared with
what a new database held (``FINGERPRINT``: the objects made in it, its comments, its own settings and rights,
the public schema's). One that differs (a table left in public, an extension, a large object, a setting) is
dropped and a new one made in its place, so a test never sees another's leftovers.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg

from shared.devtools.local_postgres import connect, create_database, drop_database

#: Objects with smaller oids come with every database (initdb's); the ones a test makes are numbered from here.
FIRST_USER_OID = 16384
#: What a database holds beyond what initdb put there. Every object a test can make in a schema (a table, type,
#: function, extension...) or around one (a cast, a language, a trigger) is recorded in pg_depend as depending on
#: its schema, function or type; the kinds that need not be are counted in their own catalogues. Beside them: the
#: comments, the database's own settings and rights, the public schema's rights.
FINGERPRINT = f"""
    SELECT 'dependencies', (SELECT count(*) FROM pg_depend WHERE objid >= {FIRST_USER_OID}
                                                              OR refobjid >= {FIRST_USER_OID})::text
    UNION ALL SELECT 'schemas', (SELECT count(*) FROM pg_namespace WHERE oid >= {FIRST_USER_OID})::text
    UNION ALL SELECT 'large objects', (SELECT count(*) FROM pg_largeobject_metadata)::text
    UNION ALL SELECT 'event triggers', (SELECT count(*) FROM pg_event_trigger)::text
    UNION ALL SELECT 'publications', (SELECT count(*) FROM pg_publication)::text
    UNION ALL SELECT 'default privileges', (SELECT count(*) FROM pg_default_acl)::text
    UNION ALL SELECT 'foreign data wrappers', (SELECT count(*) FROM pg_foreign_data_wrapper)::text
    UNION ALL SELECT 'comments', (SELECT md5(string_agg(description, ',' ORDER BY objoid, classoid, objsubid))
                                  FROM pg_description)
    UNION ALL SELECT 'settings', (SELECT coalesce(array_agg(s.setconfig::text ORDER BY s.setrole), '{{}}')::text
        FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database())
    UNION ALL SELECT 'database', (SELECT row(datdba, datallowconn, datconnlimit, datacl)::text
        FROM pg_database WHERE datname = current_database())
    UNION ALL SELECT 'public schema', (SELECT row(nspowner, nspacl)::text FROM pg_namespace WHERE nspname = 'public')
    UNION ALL SELECT 'subscriptions', (SELECT count(*) FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid
                                       WHERE d.datname = current_database())::text"""
#: A connection another test left open gets this long to close before the database is given up on.
CLOSE_WAIT_SECONDS = 10.0
#: How often to look whether they have closed (pg_terminate_backend's own wait looks every 100 ms).
CLOSE_POLL_SECONDS = 0.005
#: Made by the database's tests: every schema but the ones a new database has (a dropped one's temporary
#: schemas included; they are remade on use).
MADE_SCHEMAS = f"SELECT nspname FROM pg_namespace WHERE oid >= {FIRST_USER_OID}"
OTHERS = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"

Fingerprint = list[tuple[str, str]]


class RecycledDatabases:
    """``take()`` a database's URL for a test, ``give_back(url)`` after it; ``close()`` drops every one made."""

    def __init__(self, server_url: str) -> None:
        self._server_url = server_url
        self._free: list[str] = []
        self._made: list[str] = []
        self._new_fingerprint: Fingerprint | None = None  # what a database held when just made

    async def take(self) -> str:
        """A database no one else uses, as a new one is: a wiped one if one is free, else a new one."""
        while self._free:
            url = self._free.pop()
            if await self._wiped(url):
                return url
            await self._drop(url)
        return await self._new()

    def give_back(self, url: str) -> None:
        """The test is done with it: it is wiped when next taken (by then whatever the test ran is stopped)."""
        self._free.append(url)

    async def close(self) -> None:
        for url in list(self._made):
            await self._drop(url)
        self._free.clear()

    async def _new(self) -> str:
        url = await create_database(self._server_url)
        self._made.append(url)
        if self._new_fingerprint is None:
            self._new_fingerprint = await self._fingerprint_of(url)
        return url

    async def _drop(self, url: str) -> None:
        await drop_database(self._server_url, url)
        self._made.remove(url)

    async def _wiped(self, url: str) -> bool:
        """Whether the database is as new once its connections are closed and its schemas dropped."""
        try:
            connection = await connect(url)
        except asyncpg.PostgresError:
            return False  # dropped by its test, or closed to connections: a new database instead
        try:
            if not await _closed_others(connection):
                return False
            schemas = [row[0] for row in await connection.fetch(MADE_SCHEMAS)]
            if schemas:
                await connection.execute("DROP SCHEMA " + ", ".join(_quoted(name) for name in schemas) + " CASCADE")
            return await _fingerprint(connection) == self._new_fingerprint
        except asyncpg.PostgresError:
            return False  # whatever it holds that could not be dropped: a new database instead
        finally:
            await connection.close()

    async def _fingerprint_of(self, url: str) -> Fingerprint:
        connection = await connect(url)
        try:
            return await _fingerprint(connection)
        finally:
            await connection.close()


async def _closed_others(connection: asyncpg.Connection) -> bool:
    """Every other connection to the database closed (a test's engine left open, a stopped system's)."""
    await connection.execute(f"SELECT pg_terminate_backend(pid) {OTHERS}")
    deadline = time.monotonic() + CLOSE_WAIT_SECONDS
    while await connection.fetchval(f"SELECT count(*) {OTHERS}"):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(CLOSE_POLL_SECONDS)
    return True


async def _fingerprint(connection: asyncpg.Connection) -> Fingerprint:
    return [(row[0], row[1]) for row in await connection.fetch(FINGERPRINT)]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
