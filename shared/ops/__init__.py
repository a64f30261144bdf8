"""Each process's operations port: ``/metrics``, ``/livez``, ``/readyz`` (server.py), and what makes a
worker ready (worker_checks.py). The gateway's own readiness is services/gateway/readiness.py.

A port of its own, off unless configured (``SCIMFLOW_OPS_PORT``), so metrics and the shape of the
system are never on a port the IdPs reach, and a worker, which serves no HTTP, gets one only if asked.
"""
