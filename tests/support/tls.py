"""Throwaway certificate authorities for TLS tests, made with the ``openssl`` command line (the machine's;
the ``cryptography`` package is not a dependency). Elliptic-curve keys: made in milliseconds."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


def _openssl(*args: str | Path, cwd: Path) -> None:
    subprocess.run(["openssl", *map(str, args)], cwd=cwd, check=True, capture_output=True, timeout=60)


def new_ca(folder: Path, name: str = "scimflow test CA") -> Issued:
    folder.mkdir(parents=True, exist_ok=True)
    ca = Issued(folder / "ca.pem", folder / "ca.key")
    _openssl("req", "-x509", *_EC_KEY, "-keyout", ca.key, "-out", ca.cert, "-days", "1", "-subj", f"/CN={name}",
             cwd=folder)
    return ca


def issue(ca: Issued, folder: Path, common_name: str, *, ip: str | None = None) -> Issued:
    """A certificate signed by ``ca``, for ``ip`` (a server's) when given, else a client's."""
    issued = Issued(folder / f"{common_name}.pem", folder / f"{common_name}.key")
    request = folder / f"{common_name}.csr"
    _openssl("req", "-new", *_EC_KEY, "-keyout", issued.key, "-out", request, "-subj", f"/CN={common_name}",
             cwd=folder)
    extensions = folder / f"{common_name}.ext"
    extensions.write_text(f"subjectAltName=IP:{ip}\n" if ip else "extendedKeyUsage=clientAuth\n")
    _openssl("x509", "-req", "-in", request, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial",
             "-out", issued.cert, "-days", "1", "-extfile", extensions, cwd=folder)
    return issued
