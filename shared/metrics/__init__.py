"""Prometheus metrics, one module per concern (http.py, commands.py, requests.py, database.py,
emails.py, events.py).

The metrics live in prometheus_client's default registry, defined at import like every Prometheus
client does: a metric is a counter in memory, not a client or a connection, and defining it once per
process is what lets any module count into it. Nothing is exposed here: each process serves its
registry on its ops port (shared/ops/), never on a public one.

Labels stay bounded: route templates (never raw paths), message types from the contracts' catalog,
outcomes from the closed ErrorCode enum, and no tenant ids.
"""
