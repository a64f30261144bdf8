"""The admin API as an OpenAPI 3.1 document, generated from ADMIN_ROUTES and the body models."""

from __future__ import annotations

import re
from typing import Any

from services.gateway.admin.answer_schemas import ANSWERS
from services.gateway.admin.routes import ADMIN_ROUTES, AdminRoute
from services.gateway.tenancy.access import on_setup_screen

_SECURITY = {
    "operator": {"type": "http", "scheme": "bearer", "description": "SCIMFLOW_OPERATOR_KEY"},
    "admin": {"type": "http", "scheme": "bearer", "description": "A tenant admin's key (sca_...)"},
    "setup_link": {"type": "http", "scheme": "bearer",
                   "description": "A one-time setup link's key (scl_...), spent by the call"},
    "setup_session": {"type": "http", "scheme": "bearer",
                      "description": "The session a setup link opened (scs_...): the IdP setup screen's routes only"},
}

#: Query parameters that are numbers; the others are text (their allowed values are in the summaries).
_QUERY = {"startIndex": {"type": "integer", "minimum": 1}, "count": {"type": "integer", "minimum": 0}}


def admin_openapi(server_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in ADMIN_ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    schemas = {route.body.__name__: route.body.model_json_schema(ref_template="#/components/schemas/{model}")
               for route in ADMIN_ROUTES if route.body is not None}
    return {
        "openapi": "3.1.0",
        "info": {"title": "scimflow admin API", "version": "1",
                 "description": "Tenants, admins, SCIM tokens, the IdP connection, webhooks and the events API. "
                                "Secrets appear only in the answer that creates them."},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"securitySchemes": _SECURITY, "schemas": {**schemas, **ANSWERS}},
    }


def _operation(route: AdminRoute) -> dict[str, Any]:
    answer = {"$ref": f"#/components/schemas/{route.answer}"} if route.answer else {"type": "object"}
    operation: dict[str, Any] = {
        "operationId": f"{route.caller}_{route.handler.__name__}",
        "summary": route.summary,
        # Alternatives: the setup screen's routes also take the session a setup link opened.
        "security": [{route.caller: []},
                     *([{"setup_session": []}] if on_setup_screen(route.method, route.path) else [])],
        "responses": {
            str(route.status): {"description": "Done"} if route.status == 204 else {
                "description": "Done", "content": {"application/json": {"schema": answer}}},
            "default": {"description": "An error",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    }
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"\{(\w+)\}", route.path)]
    parameters += [{"name": name, "in": "query", "required": False, "schema": _QUERY.get(name, {"type": "string"})}
                   for name in route.query]
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        schema = {"$ref": f"#/components/schemas/{route.body.__name__}"}
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    return operation
