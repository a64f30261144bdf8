"""HTTP requests an aiohttp app served (the gateway's middleware: services/gateway/http_metrics.py)."""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "scimflow_http_requests", "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"])
HTTP_REQUEST_SECONDS = Histogram(
    "scimflow_http_request_duration_seconds", "Time from a request's arrival to its answer, by route template and method.",
    ["route", "method"])


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_REQUEST_SECONDS.labels(route, method).observe(seconds)
