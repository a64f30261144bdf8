"""A real single-node Apache Kafka broker (KRaft, combined broker+controller) without Docker.

The development machines and CI have Java and Maven Central but no Docker engine, so the
broker is run straight from Kafka's own jars, resolved once by Maven into a cache inside the
repository. Readiness is judged by speaking the Kafka protocol to the broker, because an open
TCP port only means the acceptor is up, not that the broker is unfenced and serving requests.

One concern a module: jars.py (the Maven cache), wire.py (the two requests of the readiness probe),
processes.py (ports, pids, Java, log tails), broker.py (``LocalKafka``), cli.py. CLI::

    python -m shared.devtools.local_kafka start|stop|status [--dir DIR] [--port N]
"""

from shared.devtools.local_kafka.broker import JVM_OPTIONS, JVM_OPTIONS_ENV, LocalKafka
from shared.devtools.local_kafka.jars import ensure_jars
from shared.devtools.local_kafka.processes import free_port
from shared.devtools.local_kafka.wire import (
    ClusterMetadata,
    KafkaProtocolError,
    api_versions,
    cluster_metadata,
)

__all__ = [
    "JVM_OPTIONS",
    "JVM_OPTIONS_ENV",
    "ClusterMetadata",
    "KafkaProtocolError",
    "LocalKafka",
    "api_versions",
    "cluster_metadata",
    "ensure_jars",
    "free_port",
]
