"""List and search requests (RFC 7644 §3.4.2, §3.4.3) parsed once into one shape.

GET query parameters and a POST .search body carry the same things; both become a ``ListQuery``
before anything is published, so a bad filter is a 400 ``invalidFilter`` without a Kafka round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts.filters import AttributePath, Filter
from services.gateway.scim.listing import paging
from shared.scim.attributes import ResourceSchema
from shared.scim.errors import ScimError, invalid_filter, invalid_value
from shared.scim.filter_parser import parse_filter
from shared.scim.projection import Selection, parse_selection, split_names

SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
# Far beyond any IdP's filter, and short enough that the SQL stays under SQLite's expression depth.
MAX_FILTER_LENGTH = 8192
_SORT_ORDERS = {"ascending": False, "descending": True}


@dataclass(frozen=True)
class ListQuery:
    filter: Filter | None
    sort_by: AttributePath | None
    descending: bool
    start_index: int
    count: int
    selection: Selection


def from_params(params: Mapping[str, str], schema: ResourceSchema) -> ListQuery:
    """GET /Users?filter=...&sortBy=...&sortOrder=...&startIndex=...&count=...&attributes=..."""
    return _list_query(dict(params), schema)


def from_search_body(body: Any, schema: ResourceSchema) -> ListQuery:
    """POST /Users/.search with a SearchRequest body (RFC 7644 §3.4.3)."""
    if not isinstance(body, Mapping):
        raise ScimError(400, "The request body must be a JSON object", "invalidSyntax")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or SEARCH_REQUEST_SCHEMA not in schemas):
        raise invalid_value(f"schemas must be [{SEARCH_REQUEST_SCHEMA}]")
    params = {key: value for key, value in body.items() if key != "schemas"}
    _check_search_types(params)
    params.update({k: str(params[k]) for k in ("startIndex", "count") if params.get(k) is not None})
    return _list_query(params, schema)


def _check_search_types(params: Mapping[str, Any]) -> None:
    """A SearchRequest's members are JSON strings (lists of them for the attribute lists) or null: anything
    else is the client's mistake, not a filter to leave out (which would answer with every resource)."""
    def given(name: str) -> Any:
        return "" if params.get(name) is None else params[name]

    if not isinstance(given("filter"), str):
        raise invalid_filter("filter must be a string")
    for name in ("sortBy", "sortOrder"):
        if not isinstance(given(name), str):
            raise invalid_value(f"{name} must be a string")
    for name in ("attributes", "excludedAttributes"):
        value = given(name)
        if not isinstance(value, str) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise invalid_value(f"{name} must be a string or a list of strings")


def _list_query(params: Mapping[str, Any], schema: ResourceSchema) -> ListQuery:
    start_index, count = paging(params)
    return ListQuery(
        filter=_filter(params.get("filter"), schema),
        sort_by=_sort_by(params.get("sortBy"), schema),
        descending=_descending(params.get("sortOrder")),
        start_index=start_index,
        count=count,
        selection=parse_selection(schema, split_names(params.get("attributes")),
                                  split_names(params.get("excludedAttributes"))),
    )


def _filter(text: Any, schema: ResourceSchema) -> Filter | None:
    if not isinstance(text, str) or not text.strip():
        return None
    if len(text) > MAX_FILTER_LENGTH:
        raise invalid_filter(f"The filter is longer than {MAX_FILTER_LENGTH} characters")
    return parse_filter(text, schema)


def _sort_by(name: Any, schema: ResourceSchema) -> AttributePath | None:
    if not name:
        return None
    path = schema.resolve(str(name))
    if path is None:
        raise invalid_value(f"sortBy: {name!r} is not an attribute of {schema.name}")
    return path


def _descending(order: Any) -> bool:
    """RFC 7644 §3.4.2.3: ascending unless "descending" (case-insensitive here, as clients vary)."""
    if order is None or order == "":
        return False
    if str(order).lower() not in _SORT_ORDERS:
        raise invalid_value('sortOrder must be "ascending" or "descending"')
    return _SORT_ORDERS[str(order).lower()]
