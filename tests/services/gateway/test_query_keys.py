"""A tenant's queries are spread over the command topic's partitions (contracts/topics.query_key), while
commands about one user keep the user's key (issue 8: reads of a big tenant scale out)."""

import pytest

from contracts.users.v1 import QueryUsers
from shared.messaging.codec import decode_headers

pytestmark = pytest.mark.usefixtures("user_store")


def keys_of(bus, topic: str, message_type: str) -> list[str]:
    records = [record for partition in bus._logs[topic] for record in partition]
    return [record.key.decode() for record in records if decode_headers(record.headers).message_type == message_type]


async def test_each_query_of_a_tenant_has_a_key_of_its_own(gateway, auth, memory_bus, tenant):
    for _ in range(3):
        response = await gateway.get('/scim/v2/Users?filter=userName eq "nobody@example.com"', headers=auth)
        assert response.status == 200 and (await response.json())["totalResults"] == 0
    keys = keys_of(memory_bus, "users.commands", QueryUsers.TYPE)
    assert len(keys) == 3 and len(set(keys)) == 3
    assert all(key.startswith(f"{tenant['tenant_id']}:query:") for key in keys)
