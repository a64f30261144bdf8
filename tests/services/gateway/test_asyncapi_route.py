"""The gateway serves the AsyncAPI document of the Kafka interface (contracts/asyncapi.py)."""

from contracts.asyncapi import DOCUMENT


async def test_the_asyncapi_document_is_served_without_credentials(gateway):
    response = await gateway.get("/asyncapi.json")
    assert response.status == 200 and response.content_type == "application/json"
    assert await response.text() == DOCUMENT.read_text()
