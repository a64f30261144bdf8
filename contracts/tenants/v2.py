"""Tenant state v2 on the compacted ``tenants.state`` topic, and the activity that rides beside it.

v2 supersedes v1 under the same key (the tenant id), so compaction drops a tenant's v1 record once
a v2 one follows. v1 cannot say "no token" (its token fields are required) and has no room for
admins, the IdP connection or policies. Only hashes of secrets ever travel.

Activity (first SCIM connection, token last used) has a key of its own, ``<tenant_id>:activity``.
Every gateway replica writes it from the SCIM path; keeping it out of the tenant record means a
replica never republishes a stale copy of the record over an admin's change (a replaced token
must stay replaced).
"""

from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict

from contracts.base import Event

IdpType = Literal["okta", "entra_id", "other"]
#: A SCIM token's lifetimes an admin chooses from (the vendor guides' 90 days, 180 days, 1 year), and the default.
TokenDays = Literal[90, 180, 365]
TOKEN_LIFETIMES_DAYS: tuple[int, ...] = get_args(TokenDays)
DEFAULT_TOKEN_DAYS: TokenDays = 365


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiToken(_Part):
    """The tenant's one SCIM bearer token: ``scf_<token_id>_<secret>``; the secret only as a hash."""

    token_id: str
    token_sha256: str
    created: datetime
    expires_at: datetime


class RevokedToken(_Part):
    """A replaced or deleted token, kept (a few) so a 401 can say "revoked" instead of "not valid"."""

    token_id: str
    token_sha256: str
    revoked_at: datetime
    reason: Literal["replaced", "deleted"]


class TenantAdmin(_Part):
    """A customer admin; authenticates to the admin API with ``sca_<key_id>_<secret>``."""

    admin_id: str
    name: str
    email: str
    key_id: str
    key_sha256: str
    created: datetime


class Connection(_Part):
    idp_type: IdpType | None = None
    #: "Manage users through IdP" as an admin last set it; None = never set, so the tenant's first
    #: successful SCIM call turns it on (the seeds' "automatically turn on for the first time").
    manage_users_through_idp: bool | None = None
    #: False once the admin has done the SSO reset step, which must come after managing users is off.
    sso_enabled: bool = True


class Policies(_Part):
    #: Email changes pushed by the IdP: stored (True, the default) or ignored.
    accept_email_changes: bool = True


class SetupLink(_Part):
    """A one-time link to the IdP setup screen, ``scl_<link_id>_<secret>``, for the customer's IT admin.

    Opened once, it starts a session, ``scs_<session_id>_<secret>``, limited to that screen's routes.
    The session lives in the link, so regenerating or deleting the link also ends it.
    """

    link_id: str
    link_sha256: str
    created: datetime
    expires_at: datetime
    #: "operator", or the id of the tenant admin who made it.
    created_by: str
    redeemed_at: datetime | None = None
    session_id: str | None = None
    session_sha256: str | None = None
    session_expires_at: datetime | None = None


class TenantRecord(Event):
    TYPE = "tenants.tenant_record.v2"

    tenant_id: str
    name: str
    created: datetime
    token: ApiToken | None = None
    revoked_tokens: tuple[RevokedToken, ...] = ()
    admins: tuple[TenantAdmin, ...] = ()
    connection: Connection = Connection()
    policies: Policies = Policies()
    #: SCIM calls per second for this tenant on each gateway replica; None = the gateway default.
    rate_limit_per_second: float | None = None
    #: The current IdP setup link (None: none made, or revoked); a new one replaces it.
    setup_link: SetupLink | None = None
    #: Bumped by every change: a record must be newer than the one it replaces, so two replicas
    #: changing one tenant at once cannot both win (services/gateway/tenancy/store.py). 0: written
    #: before revisions existed.
    revision: int = 0


class TenantActivity(Event):
    """Published at most once a minute per tenant by each replica that served its SCIM calls."""

    TYPE = "tenants.tenant_activity.v1"

    tenant_id: str
    token_id: str
    first_connected_at: datetime
    last_used_at: datetime


def activity_key(tenant_id: str) -> str:
    """The Kafka key of a tenant's activity, beside (never instead of) its record's key."""
    return f"{tenant_id}:activity"
