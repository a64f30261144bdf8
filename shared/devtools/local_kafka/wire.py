"""Just enough of the Kafka wire protocol to tell a serving broker from an open port: ApiVersions and
Metadata, request header v1, response header v0."""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

API_METADATA = 3
API_VERSIONS = 18


class KafkaProtocolError(Exception):
    """The peer answered, but not like a healthy Kafka broker."""


class ClusterMetadata(NamedTuple):
    cluster_id: str | None
    broker_ids: tuple[int, ...]


def api_versions(host: str, port: int, timeout: float = 2.0) -> dict[int, tuple[int, int]]:
    """Send ApiVersions v0 and return {api_key: (min_version, max_version)}."""
    body = _request(host, port, API_VERSIONS, 0, b"", timeout)
    error, count = struct.unpack_from(">hi", body)
    if error != 0:
        raise KafkaProtocolError(f"ApiVersions failed with error code {error}")
    entries = (struct.unpack_from(">hhh", body, 6 + 6 * i) for i in range(count))
    return {key: (low, high) for key, low, high in entries}


def cluster_metadata(host: str, port: int, timeout: float = 2.0) -> ClusterMetadata:
    """Send Metadata v4 for no topics and return the cluster id and the live (unfenced) brokers."""
    body = _request(host, port, API_METADATA, 4, struct.pack(">ib", 0, 0), timeout)
    offset = 4  # throttle_time_ms
    (count,) = struct.unpack_from(">i", body, offset)
    offset += 4
    broker_ids = []
    for _ in range(count):
        (node_id,) = struct.unpack_from(">i", body, offset)
        _, offset = _read_string(body, offset + 4)  # host
        _, offset = _read_string(body, offset + 4)  # rack, after port
        broker_ids.append(node_id)
    cluster_id, _ = _read_string(body, offset)
    return ClusterMetadata(cluster_id, tuple(broker_ids))


def _request(host: str, port: int, api_key: int, version: int, body: bytes, timeout: float) -> bytes:
    """One request/response round trip (request header v1, response header v0)."""
    correlation_id = 0x5C1F
    client_id = b"scimflow-probe"
    header = struct.pack(">hhih", api_key, version, correlation_id, len(client_id)) + client_id
    payload = header + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        response = _recv_exact(sock, size)
    (got,) = struct.unpack_from(">i", response)
    if got != correlation_id:
        raise KafkaProtocolError(f"correlation id mismatch: sent {correlation_id}, got {got}")
    return response[4:]


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise KafkaProtocolError("connection closed mid-response")
        chunks += chunk
    return bytes(chunks)


def _read_string(buffer: bytes, offset: int) -> tuple[str | None, int]:
    (length,) = struct.unpack_from(">h", buffer, offset)
    offset += 2
    if length < 0:
        return None, offset
    return buffer[offset:offset + length].decode(), offset + length

