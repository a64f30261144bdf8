"""RFC 7644 §3.12 error bodies and the service-error table."""

from contracts import ErrorCode
from services.gateway.scim.errors import REMOTE_ERRORS, from_remote
from shared.scim.errors import ScimError


def test_every_error_code_maps_to_a_status():
    assert set(REMOTE_ERRORS) == set(ErrorCode)


def test_body_has_string_status_and_scim_type():
    assert ScimError(409, "taken", "uniqueness").body() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "409", "scimType": "uniqueness", "detail": "taken",
    }


def test_server_errors_hide_the_service_detail():
    error = from_remote(ErrorCode.INTERNAL, "Traceback (most recent call last) ...")
    assert error.status == 500 and "Traceback" not in error.detail
