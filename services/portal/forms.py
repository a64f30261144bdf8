"""Reading a posted form, and calling the API for it: a refusal comes back as the field's error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from services.portal.api import ApiError
from services.portal.pages import call, redirect

#: A form shown again with the reason next to the field is a page like any other: 200, as GOV.UK's
#: services answer (a 4xx page would also be a console error in every browser).
FORM_REFUSED = 200
#: The API's refusals a person can fix in the form (others are error pages).
FIXABLE = (400, 404, 409, 413, 422)


async def form_of(request: web.Request) -> dict[str, str]:
    posted = await request.post()
    return {name: value.strip() for name, value in posted.items() if isinstance(value, str)}


async def submit(request: web.Request, field: str, method: str, path: str, *,
                 fields: Mapping[str, str] | None = None, **kwargs: Any) -> tuple[Any, dict[str, str]]:
    """(the API's answer, {}) or (None, {field: the API's reason}) when it refused what was typed. The API
    names a body field it refuses ("seats: ..."): ``fields`` maps those names to the form's, so the reason
    stands next to the input that caused it."""
    try:
        return await call(request, method, path, **kwargs), {}
    except ApiError as error:
        if error.status not in FIXABLE:
            raise
        named = error.detail.partition(":")[0]
        return None, {(fields or {}).get(named, field): error.detail}


def checked(form: dict[str, str], name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


Page = Callable[..., Awaitable[web.Response]]


async def refused_or_redirect(request: web.Request, errors: dict[str, str], again: Page, location: str,
                              flash: str, **context: Any) -> web.Response:
    """Refused: the screen again with the reason next to the field (400). Done: see the result (303)."""
    if errors:
        return await again(request, errors=errors, status=FORM_REFUSED, **context)
    raise redirect(location, flash, request)
