"""Issue 26, done-when 2, on the real system: with tracing on, one SCIM create is one trace, from the gateway's
span of the HTTP call (in the caller's trace, from its traceparent header) through the user store's span
serving the create to the seat allocator's span taking its seat, each a child of the span that sent its
command; the processes' own OTLP exporters post to a collector the test runs (tests/support/otlp_collector.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest

from tests.integration.conftest import create_tenant, subscribe_product, wait_until
from tests.integration.test_seats_real import EXTENSION
from tests.support.otlp_collector import Collector, ReceivedSpan, otlp_collector

pytestmark = pytest.mark.integration

SERVER, CONSUMER = 2, 5  # OTLP's span kinds


def ancestry(span: ReceivedSpan, spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    """The span and its parents up to the root (as far as they arrived)."""
    by_id = {candidate.span_id: candidate for candidate in spans}
    line = [span]
    while (parent := by_id.get(line[-1].parent_span_id)) is not None:
        line.append(parent)
    return line


def create_line(spans: list[ReceivedSpan]) -> list[ReceivedSpan] | None:
    """From the allocator's span that took the create's seat up to the gateway's span of the POST (whose parent,
    the caller's, is not among them), once all arrived (the operator's subscribing, before it, is a trace of its
    own)."""
    for span in spans:
        if span.service == "scimflow-seat_allocator" and span.kind == CONSUMER:
            line = ancestry(span, spans)
            if line[-1].service == "scimflow-gateway" and line[-1].name.startswith("POST /scim/v2/"):
                return line
    return None


@pytest.fixture
def collector() -> Iterator[Collector]:
    """Asked for before ``make_system``: it outlives the system, which sends its last spans as it stops."""
    with otlp_collector() as running:
        yield running


async def test_one_create_is_one_trace_from_the_gateway_through_the_store_to_the_allocator(collector, make_system):
    system = make_system(SCIMFLOW_TRACING_ENDPOINT=collector.endpoint, OTEL_BSP_SCHEDULE_DELAY="100")
    await asyncio.to_thread(system.start)
    tenant = await asyncio.to_thread(create_tenant, system)
    await asyncio.to_thread(subscribe_product, system, tenant["tenant_id"], "Sales", 5)
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", EXTENSION],
            "userName": "traced@example.com", EXTENSION: {"products": ["Sales"]}}
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"  # the IdP's (or its proxy's) trace, W3C traceparent
    headers = {"Authorization": f"Bearer {tenant['token']}", "traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"}
    async with aiohttp.ClientSession() as session, \
            session.post(f"{tenant['scim_base_url']}/Users", json=body, headers=headers) as response:
        assert response.status == 201, await response.text()
    try:
        line = await asyncio.to_thread(wait_until, lambda: create_line(collector.spans()))
    except TimeoutError:
        pytest.fail(f"no whole trace of the create among {[(s.service, s.name) for s in collector.spans()]}")
    assert {span.trace_id for span in line} == {caller_trace}
    assert line[-1].parent_span_id == "00f067aa0ba902b7"
    served = [(span.service, span.name) for span in line if span.kind in (SERVER, CONSUMER)]
    route = line[-1].attributes["http.route"]  # the template: never a user's id
    assert served == [("scimflow-seat_allocator", "process seats.allocate_seats.v1"),
                      ("scimflow-user_store", "process users.create_user.v1"),
                      ("scimflow-gateway", f"POST {route}")]
    assert (route, line[-1].attributes["http.response.status_code"]) == ("/scim/v2/users", 201)
