"""The operator key guards the admin API. From ``SCIMFLOW_OPERATOR_KEY``, else a file in the data dir.

The file is created once, atomically (O_EXCL), readable by its owner only, so a first ``make run``
needs no setup and several gateways on one machine agree on the same key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "operator.key"


def operator_key(configured: str | None, data_dir: Path) -> str:
    if configured:
        return configured
    path = data_dir / FILE_NAME
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()
