"""SQLite for the services that keep state in a file: WAL, BEGIN IMMEDIATE, statements run inline.

Several processes of one service may share its file. BEGIN IMMEDIATE takes the write lock at the start
of a transaction, so two writers queue instead of one failing mid-transaction with "database is
locked" (SQLite cannot upgrade a read lock while another writer waits).

The driver is the standard library's sqlite3, called on the event loop's own thread. A statement on a
local file takes microseconds; handing each one to a driver thread and back (aiosqlite) cost ~90 µs a
hop and three hops a statement, which made the SQLite driver most of every service's CPU (issue 8,
bench/RESULTS.md). AsyncSession works on top unchanged: it runs the ORM's synchronous calls in a
greenlet, which here simply never has to wait. The one wait that can be long, another process
holding the write lock, is awaited on the loop instead of slept in SQLite's busy handler
(_begin_immediate), so the service keeps serving its other work meanwhile.

The statements every command runs (journals, seat intents, seats, status rows, reads by id) skip the
ORM altogether (PlainSql): there the ORM's own work, not SQLite's, was most of each command's CPU.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal, NamedTuple
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Column, Connection, Dialect, Engine, Table, event, inspect
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.util.concurrency import await_, in_greenlet
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON")
#: For the rare SQLITE_BUSY inside a transaction (WAL recovery after a crash); short, since it blocks the loop.
BUSY_TIMEOUT_MS = 200
#: How long a transaction waits for another process's write lock before its command fails.
LOCK_WAIT_SECONDS = 10.0


class Database:
    """One SQLite file: what ``session_factory`` binds sessions to (AsyncSession only asks for
    ``sync_engine``), and what a service disposes of when it stops."""

    def __init__(self, db_path: Path) -> None:
        # No pool limit: a limited pool would block the loop's thread (and so everything) when full.
        self.sync_engine: Engine = create_sync_engine(
            f"sqlite:///{db_path}", json_serializer=_dumps, json_deserializer=orjson.loads,
            pool_size=5, max_overflow=-1, connect_args={"check_same_thread": False, "factory": _Connection})
        event.listen(self.sync_engine, "connect", _on_connect)
        event.listen(self.sync_engine, "begin", _begin_immediate)
        self._path = db_path
        self._threaded: AsyncEngine | None = None
        self.writer = Writer(self)
        self.checkpoints = Checkpointer(db_path)
        self._idle_readers: list[Connection] = []

    def reader(self) -> Connection:
        """A connection for a snapshot read (Snapshot), from those idle or new; give it back after. Idle
        ones are kept here, checked out of SQLAlchemy's pool for good: its checkout and return cost as
        much as a read by id. A SQLAlchemy connection still, so an ORM session can read on it too."""
        if self._idle_readers:
            return self._idle_readers.pop()
        return self.sync_engine.connect()

    def give_back(self, reader: Connection) -> None:
        self._idle_readers.append(reader)

    @property
    def threaded(self) -> AsyncEngine:
        """The same file through aiosqlite, whose statements run on a thread of their own: for long
        maintenance (pruning old rows) that must not hold up the event loop."""
        if self._threaded is None:
            self._threaded = create_async_engine(f"sqlite+aiosqlite:///{self._path}", json_serializer=_dumps,
                                                 json_deserializer=orjson.loads)
            event.listen(self._threaded.sync_engine, "connect", _on_threaded_connect)
            event.listen(self._threaded.sync_engine, "begin",
                         lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        return self._threaded

    async def dispose(self) -> None:
        self.writer.close()
        await self.checkpoints.close()
        while self._idle_readers:
            self._idle_readers.pop().close()
        self.sync_engine.dispose()
        if self._threaded is not None:
            await self._threaded.dispose()


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """AsyncSession calls this on results that return rows, to read them before the greenlet ends;
        a sqlite3 cursor reads on demand on this same thread, so there is nothing to do."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory=_Cursor):  # type: ignore[override]
        return super().cursor(factory)


def create_engine(db_path: Path) -> Database:
    return Database(db_path)


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
    for pragma in (*PRAGMAS, f"busy_timeout={BUSY_TIMEOUT_MS}"):
        dbapi_connection.execute(f"PRAGMA {pragma}")
    # SQLite's lower() folds ASCII only; filters on caseExact=false attributes need Python's.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _on_threaded_connect(dbapi_connection, _record: object) -> None:
    """Like _on_connect, on aiosqlite's adapter; its thread may wait in SQLite's busy handler."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (*PRAGMAS, f"busy_timeout={int(LOCK_WAIT_SECONDS * 1000)}"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    """BEGIN IMMEDIATE, waiting for another process's write lock without blocking the event loop."""
    raw = connection.connection.dbapi_connection
    if raw.in_transaction:
        return  # the process's Writer began it itself (an ORM session joining one of its units of work)
    with _no_busy_wait(raw):
        for pause in _lock_waits():
            if _try_begin_immediate(raw):
                return
            _pause(pause)
        raw.execute("BEGIN IMMEDIATE")  # the last try: raises "database is locked"


async def _begin_immediate_on_loop(raw: sqlite3.Connection) -> None:
    """_begin_immediate for the Writer's raw connection, from a coroutine."""
    with _no_busy_wait(raw):
        for pause in _lock_waits():
            if _try_begin_immediate(raw):
                return
            await asyncio.sleep(pause)
        raw.execute("BEGIN IMMEDIATE")


@contextmanager
def _no_busy_wait(raw: sqlite3.Connection) -> Iterator[None]:
    """Fail at once when locked while inside: the wait for the lock is the loop's, not SQLite's."""
    raw.execute("PRAGMA busy_timeout=0")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _lock_waits() -> Iterator[float]:
    """Pauses between tries for another process's write lock, growing, for up to LOCK_WAIT_SECONDS."""
    deadline, pause = time.monotonic() + LOCK_WAIT_SECONDS, 0.001
    while time.monotonic() <= deadline:
        yield pause
        pause = min(pause * 2, 0.05)


def _try_begin_immediate(raw: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE if no other connection holds the write lock; False if one does."""
    try:
        raw.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
            raise
        return False


def _pause(seconds: float) -> None:
    """Sleep on the event loop when called from a session (a greenlet), else in this thread."""
    if in_greenlet():
        await_(asyncio.sleep(seconds))
    else:
        time.sleep(seconds)


async def create_tables(database: Database, tables: Sequence[type[SQLModel]]) -> None:
    """Create a service's own tables (only those: every service's models share SQLModel.metadata), and
    add the columns and indexes a newer version gave an existing table."""
    with database.sync_engine.begin() as connection:
        SQLModel.metadata.create_all(connection, tables=[t.__table__ for t in tables])
        _add_new_columns(connection, [t.__table__ for t in tables])
        for table in tables:
            for index in table.__table__.indexes:  # create_all skips those of a table that exists
                index.create(connection, checkfirst=True)


def _add_new_columns(connection: Connection, tables: Sequence[Table]) -> None:
    """Additive upgrades only (a new nullable or defaulted column): an upgraded service keeps its data.
    Anything else (renames, type changes) needs a migration of its own."""
    for table in tables:
        existing = {column["name"] for column in inspect(connection).get_columns(table.name)}
        for column in table.columns:
            if column.name not in existing:
                kind = column.type.compile(connection.dialect)
                default = _literal_default(column)
                connection.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                                           + (f" NOT NULL DEFAULT {default}" if default is not None else ""))


def _literal_default(column: Column) -> str | None:
    """A constant Python-side default as SQL (existing rows take it); None when there is none."""
    value = getattr(column.default, "arg", None)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


def session_factory(database: Database) -> async_sessionmaker[AsyncSession]:
    """Sessions for commands: their statements run inline (see the module's docstring)."""
    return async_sessionmaker(database, class_=AsyncSession, expire_on_commit=False)  # type: ignore[arg-type]


def threaded_session_factory(database: Database) -> async_sessionmaker[AsyncSession]:
    """Sessions for long maintenance work, on aiosqlite's thread (Database.threaded)."""
    return async_sessionmaker(database.threaded, class_=AsyncSession, expire_on_commit=False)


Processors = dict[str, Callable[[Any], Any] | None]


class PlainSql:
    """Plain SQL in a unit of work's transaction, for the statements every command runs (the journal,
    the seat intents): an ORM statement costs ~130 µs of CPU here, the same one in plain SQL ~3 µs
    (bench/RESULTS.md). Values are bound through the columns' own SQLAlchemy types, so what it writes
    reads back the same through the ORM. ORM objects already loaded do not see what it changes: use
    it for rows the unit of work does not also hold as ORM objects."""

    def __init__(self, connection: sqlite3.Connection, dialect: Dialect) -> None:
        self._connection, self._dialect = connection, dialect

    def one(self, sql: str, *params: object) -> tuple | None:
        return self._connection.execute(sql, params).fetchone()

    def all(self, sql: str, *params: object) -> list[tuple]:
        return self._connection.execute(sql, params).fetchall()

    def run(self, sql: str, *params: object) -> int:
        """Run a statement that changes rows; returns how many it changed."""
        return self._connection.execute(sql, params).rowcount

    def run_many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement once per row of parameters (membership rows, a hundred at a time)."""
        self._connection.executemany(sql, rows)

    def select(self, table: Table, where: str, *params: object) -> list[SimpleNamespace]:
        """The rows of ``table`` matching ``where`` (a LIMIT may follow it), each column an attribute
        converted as the ORM would (JSON decoded, datetimes in UTC): read-only rows at a fraction of an
        ORM object's cost."""
        processors = _processors(table, self._dialect)
        names, readers = processors.names, processors.readers
        rows = self.all(_select_sql(table.name, names, where), *params)
        return [SimpleNamespace(**{name: value if read is None or value is None else read(value)
                                   for name, read, value in zip(names, readers, row, strict=True)})
                for row in rows]

    def select_one(self, table: Table, where: str, *params: object) -> SimpleNamespace | None:
        """The first row ``select`` finds, or None."""
        rows = self.select(table, where, *params)
        return rows[0] if rows else None

    def insert(self, table: Table, values: Mapping[str, object], *,
               on_conflict: Literal["IGNORE", "REPLACE"] | None = None) -> bool:
        """Insert one row (its values converted as the ORM would); False when ``on_conflict="IGNORE"``
        skipped it. "REPLACE" writes the whole row over the one with the same key (an upsert)."""
        return self.run(_insert_sql(table.name, tuple(values), on_conflict), *self._bound(table, values)) == 1

    def update(self, table: Table, values: Mapping[str, object], key: Sequence[str]) -> int:
        """Write ``values`` on the row whose ``key`` columns (part of ``values``) match; returns how many
        rows changed (0: not there)."""
        names = tuple(name for name in values if name not in key)
        params = self._bound(table, {**{name: values[name] for name in names},
                                     **{name: values[name] for name in key}})
        return self.run(_update_sql(table.name, names, tuple(key)), *params)

    def _bound(self, table: Table, values: Mapping[str, object]) -> list[object]:
        binders = _processors(table, self._dialect).binders
        return [value if (bind := binders[name]) is None or value is None else bind(value)
                for name, value in values.items()]


class _TableProcessors(NamedTuple):
    binders: Processors  # by column name
    names: tuple[str, ...]  # the columns, in the table's order
    readers: tuple[Callable[[Any], Any] | None, ...]  # each column's, in that order


#: Per dialect (an engine's own: its JSON serializer), per table: each column's bind and result processors.
_PROCESSORS: WeakKeyDictionary[Dialect, dict[Table, _TableProcessors]] = WeakKeyDictionary()


def _processors(table: Table, dialect: Dialect) -> _TableProcessors:
    per_table = _PROCESSORS.setdefault(dialect, {})
    if (found := per_table.get(table)) is None:
        types = {column.name: column.type.dialect_impl(dialect) for column in table.columns}
        found = per_table[table] = _TableProcessors(
            {name: kind.bind_processor(dialect) for name, kind in types.items()}, tuple(types),
            tuple(kind.result_processor(dialect, None) for kind in types.values()))
    return found


@functools.cache
def _select_sql(table: str, names: tuple[str, ...], where: str) -> str:
    columns = ", ".join(f'"{name}"' for name in names)
    return f'SELECT {columns} FROM "{table}" WHERE {where}'


@functools.cache
def _insert_sql(table: str, names: tuple[str, ...], on_conflict: str | None) -> str:
    columns = ", ".join(f'"{name}"' for name in names)
    return (f'INSERT {f"OR {on_conflict} " if on_conflict else ""}INTO "{table}" ({columns}) '
            f'VALUES ({placeholders(len(names))})')


@functools.cache
def _update_sql(table: str, names: tuple[str, ...], key: tuple[str, ...]) -> str:
    assignments = ", ".join(f'"{name}" = ?' for name in names)
    return f'UPDATE "{table}" SET {assignments} WHERE ' + " AND ".join(f'"{name}" = ?' for name in key)


def placeholders(count: int) -> str:
    """``?, ?, ?`` for an ``IN (...)`` of ``count`` values."""
    return ", ".join("?" * count)


def new_row(model: type[SQLModel], **values: object) -> SimpleNamespace:
    """A row not stored yet, as PlainSql reads and writes rows: the model's defaults under ``values``
    (cheaper than building the ORM object; default factories are called, so lists are not shared)."""
    constants, factories = _defaults(model)
    row = {**constants, **values}
    for name, make in factories.items():
        if name not in values:
            row[name] = make()
    return SimpleNamespace(**row)


@functools.cache
def _defaults(model: type[SQLModel]) -> tuple[dict[str, object], dict[str, Callable[[], object]]]:
    """A model's constant defaults and its default factories, read once: pydantic's ``get_default``
    inspects a factory's signature on every call (~100 µs, most of a reported outcome's CPU)."""
    constants: dict[str, object] = {}
    factories: dict[str, Callable[[], object]] = {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            factories[name] = field.default_factory  # type: ignore[assignment]
        elif not field.is_required():
            constants[name] = field.default
    return constants, factories


#: SQLite VM steps between two looks at a read's budget (Snapshot.budget); a look is one Python call.
BUDGET_LOOK_STEPS = 10_000


class BudgetExceeded(Exception):
    """Reads ran past their budget of SQLite VM steps (Snapshot.budget): SQLite interrupted them."""

    def __init__(self, steps: int) -> None:
        super().__init__(f"interrupted past {steps} SQLite VM steps")
        self.steps = steps


class Snapshot:
    """A read on a connection of its own, in a deferred transaction: under WAL it takes no lock, never
    waits for a writer and sees one committed state, whether read in plain SQL (``sql``) or through the
    ORM (``session``), or both. Nothing it runs is kept."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection = database.reader()
        self._raw = self._connection.connection.dbapi_connection
        try:
            self._raw.execute("BEGIN")
        except BaseException:
            _discard(self._connection)
            raise
        self.sql = PlainSql(self._raw, database.sync_engine.dialect)

    def session(self, sessions: async_sessionmaker[AsyncSession]) -> AsyncSession:
        """An ORM session reading in this snapshot's transaction."""
        if not self._connection.in_transaction():
            self._connection.begin()  # SQLAlchemy learns of the deferred BEGIN (_begin_immediate adds none)
        return sessions(bind=_ConnectionBind(self._connection))

    @contextmanager
    def budget(self, steps: int | None) -> Iterator[None]:
        """The reads in the block take at most about ``steps`` SQLite VM steps together (None: any number):
        past them SQLite interrupts the statement running (its progress handler) and BudgetExceeded is
        raised. Statements run on the event loop's thread (see the module's docstring), so a read without
        a bound holds up every other command of the process for as long as it runs."""
        if steps is None:
            yield
            return
        looks, interrupted = 0, False

        def look() -> bool:
            nonlocal looks, interrupted
            looks += 1
            interrupted = looks * BUDGET_LOOK_STEPS > steps
            return interrupted  # true: interrupt

        self._raw.set_progress_handler(look, BUDGET_LOOK_STEPS)
        try:
            yield
        except (sqlite3.OperationalError, SQLAlchemyError) as error:
            if interrupted:
                raise BudgetExceeded(steps) from error
            raise
        finally:
            self._raw.set_progress_handler(None, 0)  # the connection serves other reads after this one

    def close(self) -> None:
        try:
            if self._connection.in_transaction():
                self._connection.rollback()
            else:
                self._raw.rollback()  # nothing to do if SQLite already ended the transaction (an error)
        except BaseException:
            _discard(self._connection)  # not reused in an unknown state
            raise
        self._database.give_back(self._connection)


def _discard(connection: Connection) -> None:
    connection.invalidate()
    connection.close()


#: Units of work one transaction takes at most before it commits, even with more waiting for their turn.
GROUP_COMMIT_MAX = 32


class Writer:
    """A process's one write connection to a database: its units of work take turns on it (SQLite admits
    one writer at a time anyway, and queueing in asyncio beats its busy-wait), and commit in groups.

    Each unit runs in a SAVEPOINT of a transaction that stays open while more units wait for their
    turn or are about to start: it commits when none does (or GROUP_COMMIT_MAX units are in it), and a
    unit's ``commit`` returns only once its changes are committed, so nothing is answered before it is
    stored. A COMMIT writes every changed page to the WAL (~0.1 ms of CPU); under load several units
    share one, and an idle process commits a lone unit one loop iteration after it is done. A unit that
    fails rolls back to its savepoint only.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._connection: Connection | None = None
        self._turn = asyncio.Lock()
        self._waiting = 0  # units waiting for their turn
        self._released: list[asyncio.Future[None]] = []  # units done in the open transaction, not committed
        self._commit_soon = False
        self._released_when_asked = 0  # units in the open transaction when the pending commit check was asked

    @property
    def connection(self) -> Connection:
        """The SQLAlchemy connection (an ORM session joins a unit's savepoint through it), made on first use."""
        if self._connection is None:
            self._connection = self._database.sync_engine.connect()
            raw = self._connection.connection.dbapi_connection
            raw.execute("PRAGMA wal_autocheckpoint=0")  # its commits leave that to the Checkpointer's thread
            self.sql = PlainSql(raw, self._database.sync_engine.dialect)
        return self._connection

    @property
    def _raw(self) -> sqlite3.Connection:
        return self.connection.connection.dbapi_connection

    async def enter(self) -> PlainSql:
        """Wait for this process's turn, join (or begin) the open transaction, and set a savepoint."""
        self._waiting += 1
        try:
            await self._turn.acquire()
        finally:
            self._waiting -= 1
            if not self._turn.locked():  # cancelled while waiting: the others' units must still commit
                self._settle()
        try:
            if not self._raw.in_transaction:
                await self._database.checkpoints.writes_may_begin()
                await _begin_immediate_on_loop(self._raw)
            self._raw.execute("SAVEPOINT unit_of_work")
        except BaseException:
            self._leave()
            raise
        return self.sql

    async def commit(self, on_released: Callable[[], None] | None = None) -> None:
        """Keep the unit's changes, give the turn to the next unit, and return once they are committed.

        ``on_released`` is called once the changes are in the open transaction (every later unit of work
        of this process sees them; snapshot reads do not yet), before the commit is considered: what it
        starts at once (messaging.worker.release_key) joins the same transaction."""
        try:
            self._raw.execute("RELEASE unit_of_work")
        except BaseException:
            self.abort()
            raise
        committed = asyncio.get_running_loop().create_future()
        self._released.append(committed)
        if on_released is not None:
            on_released()
        self._leave()
        await committed

    def abort(self) -> None:
        """Undo the unit's changes (only its own) and give the turn to the next unit."""
        try:
            self._raw.execute("ROLLBACK TO unit_of_work")
            self._raw.execute("RELEASE unit_of_work")
        except sqlite3.Error as error:  # the transaction itself is broken: nothing in it can be kept
            self._end_transaction(error)
        finally:
            self._leave()

    def _leave(self) -> None:
        self._turn.release()
        self._settle()

    def _settle(self) -> None:
        """Commit unless another unit waits to join the transaction (and it is not full yet): not at once,
        but once the tasks ready to run have run, so that units of records fetched together (which start
        one after the other without ever waiting for the turn) share the commit too."""
        if len(self._released) >= GROUP_COMMIT_MAX:
            self._end_transaction()
        elif not self._commit_soon:
            self._ask_commit_if_idle()

    def _ask_commit_if_idle(self) -> None:
        self._commit_soon, self._released_when_asked = True, len(self._released)
        asyncio.get_running_loop().call_soon(self._commit_if_idle)

    def _commit_if_idle(self) -> None:
        """Commit, unless a unit has the turn or waits for it (it settles when done), or a unit joined
        since this was asked for: one more loop iteration then, for a chain of units each started by the
        one before (a key's records released one after another, messaging.worker.release_key)."""
        self._commit_soon = False
        if self._waiting or self._turn.locked():
            return
        if len(self._released) > self._released_when_asked:
            self._ask_commit_if_idle()
            return
        self._end_transaction()

    def _end_transaction(self, failure: BaseException | None = None) -> None:
        """Commit the open transaction (roll it back on ``failure``) and tell the units in it."""
        released, self._released = self._released, []
        if self._connection is not None and self._raw.in_transaction:
            try:
                if failure is None:
                    self._finish("commit")
                    self._database.checkpoints.after_commit()
            except (sqlite3.Error, SQLAlchemyError) as error:  # SQLAlchemy's wraps sqlite3's when the ORM took part
                failure = error
            if failure is not None:
                try:
                    self._finish("rollback")
                except (sqlite3.Error, SQLAlchemyError):  # the units in it hear of the failure all the same
                    log.exception("rolling back a failed transaction failed")
        for committed in released:
            if committed.done():
                continue  # its unit was cancelled meanwhile; what it did is committed all the same
            if failure is None:
                committed.set_result(None)
            else:
                committed.set_exception(failure)

    def _finish(self, how: Literal["commit", "rollback"]) -> None:
        connection = self.connection
        if connection.in_transaction():  # an ORM session took part: SQLAlchemy knows of the transaction
            getattr(connection, how)()
        else:
            self._raw.execute(how.upper())

    def close(self) -> None:
        if self._connection is not None:
            self._end_transaction()
            self._connection.close()
            self._connection = None


#: How often at most the Checkpointer moves the WAL's pages into the database file while commits come:
#: about as often as SQLite's own automatic checkpoint did under load (every 1 000 pages).
CHECKPOINT_EVERY_SECONDS = 1.0
#: A WAL this long (pages, ~4 KiB each) has not started over for a while: under continuous writes a
#: passive checkpoint never finishes before the next commit, so the WAL would grow for as long as they
#: come. The next checkpoint then waits for the writer (RESTART), briefly holding its next transaction.
WAL_RESTART_PAGES = 4_000
#: How long a RESTART checkpoint waits for other processes' writers and older readers to end (this
#: process's writes wait meanwhile); if they do not, it is tried again an interval later.
RESTART_WAIT_MS = 500


class Checkpointer:
    """Copies the WAL's pages into the database file on a thread of the loop's executor.

    SQLite checkpoints by itself in the COMMIT that takes the WAL past 1 000 pages, on the committing
    thread: the page copies and fsyncs stalled the whole event loop for 0.5-95 ms, ~30 times in a 40 s
    bench run. The Writer's connection turns that off and tells this after each COMMIT; at most every
    CHECKPOINT_EVERY_SECONDS a checkpoint runs on a connection of its own (sqlite3 leaves the GIL while
    SQLite works), never two at once. It is PASSIVE (it waits for nobody) until the WAL is WAL_RESTART_PAGES
    long, then one RESTART lets the WAL start over. A RESTART needs the write lock, and the process's
    writer, always busy under load, would take it back before SQLite's polling for it got a turn: so
    while one runs (it starts just after a COMMIT) the writer begins no transaction; its units wait
    for it as for another process's lock, and the loop serves everything else meanwhile. Other
    processes on the file do the same; a checkpoint running in one makes another's return busy,
    which is harmless.
    """

    def __init__(self, db_path: Path, *, every: float = CHECKPOINT_EVERY_SECONDS,
                 restart_pages: int = WAL_RESTART_PAGES) -> None:
        self._path = db_path
        self._every = every
        self._restart_pages = restart_pages
        self._connection: sqlite3.Connection | None = None
        self._running: asyncio.Future[tuple[int, int, int]] | None = None
        self._last_start = time.monotonic()  # the first one an interval after start: none for a short life
        self._restart_due = False
        self._restarted: asyncio.Event | None = None  # while a RESTART runs: set once it is over

    def after_commit(self) -> None:
        if self._running is not None or time.monotonic() - self._last_start < self._every:
            return
        self._last_start = time.monotonic()
        mode = "RESTART" if self._restart_due else "PASSIVE"
        if mode == "RESTART":
            self._restarted = asyncio.Event()
        self._running = asyncio.ensure_future(asyncio.to_thread(self._checkpoint, mode))
        self._running.add_done_callback(functools.partial(self._done, mode))

    async def writes_may_begin(self) -> None:
        """Return once no RESTART checkpoint is running (at once, mostly)."""
        if self._restarted is not None:
            await self._restarted.wait()

    async def idle(self) -> None:
        """Return once no checkpoint is running."""
        if self._running is not None:
            await asyncio.wait([self._running])

    async def close(self) -> None:
        await self.idle()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _checkpoint(self, mode: str) -> tuple[int, int, int]:
        """On the executor's thread: (busy, pages in the WAL, pages of it now in the database file)."""
        if self._connection is None:
            self._connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._connection.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
        return self._connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()

    def _done(self, mode: str, running: asyncio.Future[tuple[int, int, int]]) -> None:
        self._running = None
        if self._restarted is not None:
            self._restarted.set()
            self._restarted = None
        if running.cancelled():
            return
        if (error := running.exception()) is not None:
            log.warning("WAL checkpoint of %s failed; a later commit retries", self._path, exc_info=error)
            return
        busy, wal_pages, _copied = running.result()
        restarted = mode == "RESTART" and not busy  # the next write starts the WAL over, whatever its length
        self._restart_due = not restarted and wal_pages >= self._restart_pages
        if self._restart_due and mode == "PASSIVE":
            self._last_start = -float("inf")  # at the next commit, not an interval later


class _ConnectionBind:
    """What AsyncSession binds to (it only asks for ``sync_engine``): here the Writer's connection."""

    def __init__(self, connection: Connection) -> None:
        self.sync_engine = connection


def joining_session(sessions: async_sessionmaker[AsyncSession], writer: Writer) -> AsyncSession:
    """An ORM session inside the unit of work that holds the writer's turn: its own savepoint in the
    unit's, so ``commit`` releases and ``close`` without commit rolls back only what it did."""
    if not writer.connection.in_transaction():
        writer.connection.begin()  # SQLAlchemy learns of the writer's transaction (it issues no BEGIN)
    return sessions(bind=_ConnectionBind(writer.connection), join_transaction_mode="create_savepoint")
