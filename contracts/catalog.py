"""Every message type by its wire name: the one place a decoder looks a type up."""

from contracts.base import Message
from contracts.system.v1 import Ping, Pong
from contracts.tenants.v1 import TenantRecord
from contracts.users.v1 import CreateUser, GetUser, QueryUsers, UserPage, UserRecord

MESSAGE_CLASSES: tuple[type[Message], ...] = (
    CreateUser,
    GetUser,
    QueryUsers,
    UserRecord,
    UserPage,
    Ping,
    Pong,
    TenantRecord,
)

MESSAGE_TYPES: dict[str, type[Message]] = {cls.TYPE: cls for cls in MESSAGE_CLASSES}
