"""Headers every answer carries, static files, errors in words."""

from tests.services.portal.portal_support import page, text_of


async def test_pages_forbid_inline_script_and_framing_and_are_never_cached(portal):
    response = await portal.get("/signin")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_the_pages_script_and_styles_are_served_with_a_hash_and_kept(portal):
    html = await page(portal, "/signin")
    for name in ("portal", "htmx.min"):
        start = html.index(f"/static/{name}.")
        url = html[start:html.index('"', start)]
        response = await portal.get(url)
        assert response.status == 200 and "immutable" in response.headers["Cache-Control"]
    assert (await portal.get("/static/portal.0000.js")).status == 404


async def test_no_page_has_inline_script(admin):
    for path in ("/", "/provisioning", "/sets", "/sets/new", "/users", "/notifications"):
        html = await page(admin, path)
        assert "<script>" not in html and "onclick" not in html and " style=" not in html, path


async def test_an_unknown_set_is_an_error_page_in_words(admin):
    response = await admin.get("/sets/Nope/edit")
    assert response.status == 404 and "Not found" in text_of(await response.text())


async def test_the_setup_screen_without_a_link_asks_for_one(portal):
    text = text_of(await page(portal, "/setup"))
    assert "Setup link" in text and "Paste the whole link" in text
