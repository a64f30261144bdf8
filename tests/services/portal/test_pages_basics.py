"""Filters, static files, IdP guides: what every page relies on."""

from datetime import UTC, datetime

from services.portal.filters import days_left, when
from services.portal.guides import idp_guide
from services.portal.static import IMMUTABLE, StaticFiles

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_moments_read_in_utc_to_the_minute():
    assert when("2026-12-07T14:05:33+01:00") == "2026-12-07 13:05 UTC"
    assert when(None) == "never" and when("not a date") == "never"


def test_days_left_before_and_after_expiry():
    assert days_left("2026-12-17T12:00:00+00:00", lambda: NOW) == "expires in 10 days"
    assert days_left("2026-12-08T11:00:00+00:00", lambda: NOW) == "expires today"
    assert days_left("2026-12-06T12:00:00+00:00", lambda: NOW) == "expired 1 day ago"


def test_static_files_carry_their_content_hash_and_are_kept_a_year(tmp_path):
    (tmp_path / "app.js").write_text("one")
    first = StaticFiles(tmp_path).url("app.js")
    (tmp_path / "app.js").write_text("two")
    assert StaticFiles(tmp_path).url("app.js") != first and first.startswith("/static/app.")
    assert IMMUTABLE == "public, max-age=31536000, immutable"


def test_each_idp_guide_uses_that_idps_field_names_with_our_values():
    tenant = {"scim_base_url": "https://scim.example/scim/v2"}
    okta = {step.field: step.value for step in idp_guide("okta", tenant).steps}
    assert okta["SCIM connector base URL"] == "https://scim.example/scim/v2"
    assert okta["Unique identifier field for users"] == "userName"
    entra = {step.field: step.value for step in idp_guide("entra_id", tenant).steps}
    assert entra["Tenant URL"] == "https://scim.example/scim/v2?aadOptscim062020"
    assert "Secret Token" in entra
    assert idp_guide(None, tenant).idp == "Other SCIM 2.0 client"
