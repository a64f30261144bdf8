"""Message builders for user-store handler tests."""

from contracts import MessageMeta
from contracts.users.v1 import CreateUser, UserRecord
from shared.messaging.requester import unwrap

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def meta(tenant: str = "t1", message_id: str | None = None) -> MessageMeta:
    extra = {"message_id": message_id} if message_id else {}
    return MessageMeta(message_type="x", tenant_id=tenant, **extra)


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


async def create(dispatch, user_name: str = "ann", **attributes) -> UserRecord:
    reply = await dispatch(CreateUser(resource={"userName": user_name, "active": True, **attributes}), meta())
    return unwrap(reply, UserRecord)
