"""Message builders for user-store handler tests."""

from contracts import MessageMeta
from contracts.users.v1 import CreateUser, UserRecord
from shared.messaging.requester import unwrap
from shared.scim.schemas import EXTENSION_SCHEMA

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def meta(tenant: str = "t1", message_id: str | None = None) -> MessageMeta:
    extra = {"message_id": message_id} if message_id else {}
    return MessageMeta(message_type="x", tenant_id=tenant, **extra)


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


async def create(dispatch, user_name: str = "ann", **attributes) -> UserRecord:
    reply = await dispatch(CreateUser(resource={"userName": user_name, "active": True, **attributes}), meta())
    return unwrap(reply, UserRecord)


def stored(record: UserRecord) -> dict:
    """A record's resource as it was stored: the computed seat state (scimActive, platformActive) taken off."""
    resource = dict(record.resource)
    extension = {k: v for k, v in resource.pop(EXTENSION_SCHEMA).items() if k not in ("scimActive", "platformActive")}
    schemas = [urn for urn in resource.pop("schemas") if urn != EXTENSION_SCHEMA or extension]
    return {**resource, **({EXTENSION_SCHEMA: extension} if extension else {}), **({"schemas": schemas} if schemas else {})}
