"""Static files vendored in the package, served under a name holding their content hash, so the
browser may keep them for a year (a changed file has a new name)."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"


class StaticFiles:
    def __init__(self, folder: Path = STATIC_DIR) -> None:
        self._urls: dict[str, str] = {}
        self._files: dict[str, tuple[bytes, str]] = {}
        for path in sorted(folder.glob("*.*")):
            if path.suffix not in (".js", ".css", ".svg"):
                continue
            content = path.read_bytes()
            hashed = f"{path.stem}.{hashlib.sha256(content).hexdigest()[:12]}{path.suffix}"
            self._urls[path.name] = f"/static/{hashed}"
            self._files[hashed] = (content, mimetypes.guess_type(path.name)[0] or "application/octet-stream")

    def url(self, name: str) -> str:
        """The URL of a vendored file by its plain name (a template's ``static('portal.css')``)."""
        return self._urls[name]

    async def serve(self, request: web.Request) -> web.Response:
        found = self._files.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        content, content_type = found
        return web.Response(body=content, content_type=content_type, headers={"Cache-Control": IMMUTABLE})
