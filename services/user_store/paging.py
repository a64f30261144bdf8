"""One page of a tenant's resources: filter compiled to SQL, stable order, real total (RFC 7644 §3.4.2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from contracts import ErrorCode
from contracts.filters import And, AttributePath, Comparison, Filter
from services.user_store.filter_sql import FilterTarget, compile_filter, sort_key
from shared.messaging.dispatch import CommandFailed
from shared.scim.attributes import ResourceSchema
from shared.scim.errors import ScimError
from shared.sqlite import BudgetExceeded
from shared.store import QueryBudget, UnitOfWork

#: The SQLite VM steps one query (its page and its count together) may take by default: 0.1-0.2 s of the
#: event loop (9 000-22 000 steps a millisecond on the bench machine), which every other command of the
#: process waits out, whichever tenant it is for. Over 100 000 users: a page at any startIndex took up to
#: 0.7 M steps, sortBy 1.5 M, `displayName co` 0.7 M, `emails.value co` 3.1 M (refused; it passes up to
#: ~60 000 users); 280 or-ed `co` terms over 10 000 users 8.4 M. SCIMFLOW_QUERY_BUDGET_STEPS.
QUERY_BUDGET_STEPS = 2_000_000
#: PostgreSQL's counterpart (SCIMFLOW_QUERY_TIMEOUT_MS): each statement of such a query (its page, its count) runs
#: at most this long on the server. The event loop does not wait for it there, only the command and a pooled
#: connection do: both statements fit the gateway's 5 s round trip, so the IdP hears 400 tooMany, not 503.
QUERY_TIMEOUT_MS = 1_500
DEFAULT_BUDGET = QueryBudget(steps=QUERY_BUDGET_STEPS, timeout_ms=QUERY_TIMEOUT_MS)


async def page_of(uow: UnitOfWork, table: Any, target: FilterTarget, schema: ResourceSchema,
                  tenant_id: str, query: Any, budget: QueryBudget) -> tuple[list[Any], int]:
    """The rows of ``query`` (filter, sort_by, descending, start_index, count), read-only with the table's
    columns as attributes, and the number of matches; read within ``budget``."""
    count_statement, page_statement = statements(table, target, schema, tenant_id, query)
    session = uow.session
    try:
        async with uow.budget(budget):
            rows = list((await session.exec(page_statement)).all()) if query.count > 0 else []
            if (known := total_from_page(query.start_index, query.count, len(rows))) is not None:
                return rows, known
            return rows, int(await session.scalar(count_statement) or 0)
    except BudgetExceeded:
        raise too_expensive() from None


def too_expensive() -> CommandFailed:
    """RFC 7644 §3.12 tooMany: "more results than the server is willing to calculate or process"."""
    return CommandFailed(ErrorCode.TOO_MANY, "The filter is too expensive to run: narrow it (fewer or-ed "
                         "terms, eq or sw rather than co, or an indexed attribute: userName, externalId, id) "
                         "or leave out sortBy")


def total_from_page(start_index: int, count: int, found: int) -> int | None:
    """The number of matches when the page itself tells it: a page that is not full is the last one
    (an IdP's look-up by externalId or displayName finds one row or none), so no COUNT is needed;
    None when only counting can tell (a full page, or an empty one past the first)."""
    if 0 < found < count or (found == 0 < count and start_index == 1):
        return start_index - 1 + found
    return None


def statements(table: Any, target: FilterTarget, schema: ResourceSchema, tenant_id: str,
               query: Any) -> tuple[Any, Any]:
    """The COUNT and the page SELECT (apart so a test can EXPLAIN them).

    Ties, and everything when unsorted, are ordered by (created, id): the tenant index gives that order,
    so a page costs its offset in index entries, never a read of every row.
    """
    where = [col(table.tenant_id) == tenant_id]
    if (node := filter_of(query, schema)) is not None:
        where.append(_compiled(node, schema, target))
    order = [col(table.created), col(table.id)]
    if query.sort_by is not None:
        key = _sort_key(query.sort_by, schema, target)
        # RFC 7644 §3.4.2.3: resources without the attribute come last, whichever the order.
        order.insert(0, (key.desc() if query.descending else key.asc()).nulls_last())
    count = select(func.count()).select_from(table).where(*where)
    # The table's columns, not the ORM entity: read-only rows, a fraction of the ORM's cost per row.
    page = (select(*table.__table__.columns).where(*where).order_by(*order)
            .offset(query.start_index - 1).limit(query.count))
    return count, page


def _compiled(node: Filter, schema: ResourceSchema, target: FilterTarget) -> Any:
    """The gateway parsed the filter; what parses but has no column (meta.location) is still refused."""
    try:
        return compile_filter(node, schema, target)
    except ScimError as error:
        raise CommandFailed(ErrorCode.INVALID_FILTER, error.detail) from None


def _sort_key(path: AttributePath, schema: ResourceSchema, target: FilterTarget) -> Any:
    """The gateway checked that sortBy names an attribute; one the table cannot order by (members, meta) is
    the client's error too."""
    try:
        return sort_key(path, schema, target)
    except ScimError:
        raise CommandFailed(ErrorCode.INVALID_VALUE, f"sortBy: {path} cannot be sorted on") from None


def filter_of(query: Any, schema: ResourceSchema) -> Filter | None:
    """The query's filter ANDed with the foundation's ``criteria`` (QueryUsers v1 senders still use it)."""
    nodes: list[Filter] = [Comparison(path=schema.resolve(c.attribute), op="eq", value=c.value)
                           for c in getattr(query, "criteria", [])]
    if query.filter is not None:
        nodes.append(query.filter)
    if len(nodes) > 1:
        return And(operands=nodes)
    return nodes[0] if nodes else None
