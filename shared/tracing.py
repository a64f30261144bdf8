"""OpenTelemetry traces of one IdP request across the gateway, Kafka and the services; off by default.

With ``SCIMFLOW_TRACING_ENDPOINT`` set (an OTLP/HTTP traces URL, e.g. ``http://collector:4318/v1/traces``) each
process sends its spans there, batched on a thread of the SDK: the gateway's span of each HTTP request, a
producer span around each ask or cast, and a consumer span around each command a worker serves. The W3C
``traceparent`` of the span at hand travels in the record's headers (``MessageMeta.traceparent``), so the
spans of one request share its trace id. Unset, every function here is a no-op that costs a flag test: the
services' hot paths pay nothing for tracing they do not do. The exporter's other settings (headers,
certificates, timeouts) are OpenTelemetry's own ``OTEL_EXPORTER_OTLP_*`` variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from contracts import MessageMeta

TRACEPARENT = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()
_TRACER = trace.get_tracer("scimflow")
_enabled = False


def configure_tracing(service: str, instance_id: str, endpoint: str | None) -> None:
    """Send this process's spans to ``endpoint`` (OTLP/HTTP); None leaves tracing off. The SDK flushes what
    is batched when the process exits."""
    global _enabled
    if not endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": f"scimflow-{service}", "service.instance.id": instance_id})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    _enabled = True


def current_traceparent() -> str | None:
    """The W3C traceparent of the span at hand, for the headers of a record sent now."""
    if not _enabled:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT)


def http_server_span(method: str, route: str, headers: Mapping[str, str]):
    """The gateway's span of one HTTP request (``route``: the template, never the raw path), in the trace of
    the caller's ``traceparent`` header if it sent one (a traced proxy or client)."""
    if not _enabled:
        return nullcontext(None)
    caller = headers.get(TRACEPARENT)
    return _TRACER.start_as_current_span(
        f"{method} {route}", context=_PROPAGATOR.extract({TRACEPARENT: caller} if caller else {}),
        kind=SpanKind.SERVER, attributes={"http.request.method": method, "http.route": route})


def producer_span(message_type: str, topic: str):
    """Around one ask (until its reply) or cast: the parent of the span that serves it."""
    if not _enabled:
        return nullcontext(None)
    return _TRACER.start_as_current_span(
        f"send {message_type}", kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic,
                    "messaging.operation.type": "send"})


def consumer_span(meta: MessageMeta, topic: str):
    """Around a worker's serving of one command, a child of the span that sent it (from its traceparent)."""
    if not _enabled:
        return nullcontext(None)
    parent = _PROPAGATOR.extract({TRACEPARENT: meta.traceparent} if meta.traceparent else {})
    return _TRACER.start_as_current_span(
        f"process {meta.message_type}", context=parent, kind=SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": topic,
                    "messaging.operation.type": "process", "messaging.message.id": meta.message_id})


def set_status_code(span, status: int) -> None:
    """The HTTP status of the gateway's span; a 5xx marks it failed (a 4xx is the client's, per OTel)."""
    if span is None:
        return
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(trace.Status(trace.StatusCode.ERROR))
