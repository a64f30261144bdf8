"""The admin API's JSON: request bodies (strict, unknown fields refused) and what it answers.

A secret appears only in the one answer that creates it (``token``, ``admin_key``); every other
answer shows a public prefix and metadata. Fields a PUT leaves out stay as they are.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    model_validator,
)

from contracts.base import MAX_START_INDEX
from contracts.tenants.v2 import (
    DEFAULT_TOKEN_DAYS,
    IdpType,
    SetupLink,
    TenantActivity,
    TenantAdmin,
    TenantRecord,
    TokenDays,
)
from contracts.webhooks.v1 import (
    MAX_DESCRIPTION_LENGTH,
    MAX_EVENT_TYPES,
    MAX_REPLAY_IDS,
    MAX_URL_LENGTH,
)
from services.gateway.tenancy.credentials import (
    ADMIN_KEY_PREFIX,
    SETUP_LINK_PREFIX,
    TOKEN_PREFIX,
    public_prefix,
)
from services.gateway.tenancy.rules import manages_users
from services.gateway.tenancy.setup_links import (
    DEFAULT_SETUP_LINK_DAYS,
    setup_link_status,
)
from shared.scim.errors import ScimError

#: NUL and the other control characters: no name or address has one (they are shown in the portal, mails, logs).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters such as NUL")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                 AfterValidator(_no_control_characters)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$"),
                  AfterValidator(_no_control_characters)]
Days = TokenDays


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class NewTenant(_Body):
    name: Name
    idp_type: IdpType | None = None
    token_expires_in_days: Days = DEFAULT_TOKEN_DAYS


class NewToken(_Body):
    expires_in_days: Days
    #: The portal's "I understand and would like to proceed anyway": the current token dies at once.
    replace: bool = False


class NewAdmin(_Body):
    name: Name
    email: Email


class ConnectionChange(_Body):
    idp_type: IdpType | None = None
    manage_users_through_idp: bool = False  # defaults only to type the field: unsent fields are not applied
    sso_enabled: bool = True


class PolicyChange(_Body):
    accept_email_changes: bool = True


class RateLimit(_Body):
    #: null: back to the gateway's default.
    requests_per_second: Annotated[float, Field(gt=0, le=100_000)] | None


def _in_utc_range(value: datetime) -> datetime:
    """Year 1 with an offset east of UTC (or 9999 west of it) has no UTC time: the allocator crashed on it."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the expiry is out of range") from None
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_8601_text(value: object) -> object:
    """Lax datetime parsing would take a number, or a string of digits, as seconds since 1970 (-1, 0, 1.5)."""
    if not (isinstance(value, str) and _ISO_DATE.match(value)):
        raise ValueError("must be an ISO 8601 date-time string, e.g. 2027-01-31T00:00:00Z")
    return value


#: An expiry as JSON sends it: an ISO 8601 string (strict mode would take only datetime objects).
Expiry = Annotated[datetime, Strict(False), BeforeValidator(_iso_8601_text), AfterValidator(_in_utc_range)]
SeatCount = Annotated[int, Field(ge=0, le=10_000_000)]


def _with_offset(value: datetime) -> datetime:
    """RFC 3339 times name their offset: a naive one could not be compared with the services' UTC times."""
    if value.tzinfo is None:
        raise ValueError("must give its UTC offset (RFC 3339), e.g. 2027-01-31T00:00:00Z")
    return value


#: A moment as JSON sends it: RFC 3339, offset included.
Moment = Annotated[Expiry, AfterValidator(_with_offset)]


class NewProduct(_Body):
    product: Name
    seats: SeatCount
    expires_at: Expiry


class ProductChange(_Body):
    seats: SeatCount | None = None
    expires_at: Expiry | None = None


class NewSubscriptionSet(_Body):
    """The set rules themselves (name 3-35 of [a-zA-Z0-9.- ], description <= 45) are the allocator's."""

    name: str
    description: str = ""
    products: list[str]
    admin_role: bool = False


class SubscriptionSetChange(_Body):
    name: str | None = None
    description: str | None = None
    products: list[str] | None = None
    admin_role: bool | None = None


class UserSettingsChange(_Body):
    """A user's vendor attributes the admin manages; fields left out stay (the defaults only type them),
    credit_limit null clears it. Products take seats, all or nothing, as the IdP's changes do."""

    role: Literal["User", "Admin"] = "User"
    user_credit: Literal["Limited", "Unlimited"] = "Limited"
    credit_limit: Annotated[int, Field(ge=0, le=2**53 - 1)] | None = None  # at most what a browser reads exactly
    reset_usage: Literal["Monthly", "Quarterly", "Yearly", "Never"] = "Monthly"
    products: list[Name] = Field(default_factory=list, max_length=100)


class NotificationsRead(_Body):
    ids: list[str] = Field(min_length=1, max_length=500)  # the calling admin's notification ids


WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_URL_LENGTH),
                      AfterValidator(_no_control_characters)]
WebhookDescription = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_DESCRIPTION_LENGTH),
                              AfterValidator(_no_control_characters)]
#: The event types an endpoint wants (contracts/events/v1.py names them); none: every type, new ones too.
EventTypeNames = Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=100)]],
                           Field(max_length=MAX_EVENT_TYPES)]


class NewWebhookEndpoint(_Body):
    """Which URLs and event types are allowed is the webhooks service's rule (its refusal is a 400)."""

    url: WebhookUrl
    description: WebhookDescription = ""
    event_types: EventTypeNames = Field(default_factory=list)


class WebhookEndpointChange(_Body):
    """Fields left out stay; enabled: true resumes deliveries from the oldest event not delivered."""

    url: WebhookUrl | None = None
    description: WebhookDescription | None = None
    event_types: EventTypeNames | None = None
    enabled: bool | None = None


class WebhookReplay(_Body):
    """Deliver again the tenant's events since a moment, or these events: exactly one of the two."""

    since: Moment | None = None
    event_ids: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=100)]],
                         Field(min_length=1, max_length=MAX_REPLAY_IDS)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> WebhookReplay:
        if (self.since is None) == (self.event_ids is None):
            raise ValueError("give exactly one of since and event_ids")
        return self


class NewSetupLink(_Body):
    expires_in_days: Annotated[int, Field(ge=1, le=30)] = DEFAULT_SETUP_LINK_DAYS


class TenantListQuery(_Body):
    """The operator's ?startIndex= &count= &search= (query strings: numbers arrive as text, so not strict)."""

    model_config = ConfigDict(strict=False)

    start_index: int = Field(default=1, ge=1, le=MAX_START_INDEX)
    count: int = Field(default=50, ge=0, le=200)
    search: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


BodyT = TypeVar("BodyT", bound=BaseModel)  # an admin API body, or a contract built from one


def parse(model: type[BodyT], body: object) -> BodyT:
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise ScimError(400, f"{where}: {error['msg']}" if where else error["msg"]) from None


def sent(body: _Body) -> dict[str, Any]:
    """Only the fields the client sent: a partial PUT changes those and nothing else."""
    return body.model_dump(include=body.model_fields_set)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def token_json(record: TenantRecord, activity: TenantActivity | None, now: datetime) -> dict[str, Any] | None:
    token = record.token
    if token is None:
        return None
    used = activity.last_used_at if activity and activity.token_id == token.token_id else None
    return {"prefix": public_prefix(TOKEN_PREFIX, token.token_id), "created": iso(token.created),
            "expires_at": iso(token.expires_at), "last_used_at": iso(used),
            "status": "expired" if now >= token.expires_at else "active"}


def connection_json(record: TenantRecord, activity: TenantActivity | None, scim_base_url: str) -> dict[str, Any]:
    connection = record.connection
    return {"idp_type": connection.idp_type, "scim_base_url": scim_base_url,
            "manage_users_through_idp": manages_users(record, activity is not None),
            "set_by_admin": connection.manage_users_through_idp is not None,
            "first_connected_at": iso(activity.first_connected_at if activity else None),
            "sso_enabled": connection.sso_enabled}


def admin_json(admin: TenantAdmin) -> dict[str, Any]:
    return {"admin_id": admin.admin_id, "name": admin.name, "email": admin.email, "created": iso(admin.created),
            "key_prefix": public_prefix(ADMIN_KEY_PREFIX, admin.key_id)}


def tenant_json(record: TenantRecord, activity: TenantActivity | None, now: datetime, scim_base_url: str,
                default_rate: float) -> dict[str, Any]:
    return {"tenant_id": record.tenant_id, "name": record.name, "created": iso(record.created),
            "scim_base_url": scim_base_url, "token": token_json(record, activity, now),
            "connection": connection_json(record, activity, scim_base_url),
            "policies": record.policies.model_dump(), "admins": [admin_json(a) for a in record.admins],
            "rate_limit_per_second": record.rate_limit_per_second or default_rate}


def tenant_row_json(record: TenantRecord, activity: TenantActivity | None, now: datetime) -> dict[str, Any]:
    """One tenant in the operator's list: what tenant_json shows, in brief."""
    token = token_json(record, activity, now)
    return {"tenant_id": record.tenant_id, "name": record.name, "created": iso(record.created),
            "idp_type": record.connection.idp_type, "token_status": token["status"] if token else "none",
            "token_expires_at": token["expires_at"] if token else None, "admins": len(record.admins),
            "manage_users_through_idp": manages_users(record, activity is not None),
            "last_scim_call": iso(activity.last_used_at if activity else None)}


def setup_link_json(link: SetupLink | None, now: datetime) -> dict[str, Any]:
    """The link without its secret (status "none": there is none)."""
    return {"prefix": public_prefix(SETUP_LINK_PREFIX, link.link_id) if link else None,
            "created": iso(link.created if link else None), "expires_at": iso(link.expires_at if link else None),
            "status": setup_link_status(link, now), "redeemed_at": iso(link.redeemed_at if link else None)}
