"""Kafka's jars, resolved once by Maven into a cache inside the repository (scripts/kafka/pom.xml)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from shared.devtools import REPO_ROOT
from shared.devtools.local_kafka.processes import tail_text

log = logging.getLogger(__name__)

KAFKA_SCRIPTS = REPO_ROOT / "scripts" / "kafka"
POM_PATH = KAFKA_SCRIPTS / "pom.xml"
CACHE_DIR = REPO_ROOT / ".cache" / "kafka"
JAR_DIR = CACHE_DIR / "jars"

JAR_STAMP = ".complete"


def ensure_jars() -> Path:
    """Return the directory of broker jars, running Maven only if the cache is stale.

    The stamp file holds the pom's hash and is written only after a complete copy, so an
    interrupted download is redone and a warm run never touches the network.
    """
    digest = _pom_digest()
    if _jars_current(digest):
        return JAR_DIR
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with _file_lock(CACHE_DIR / "jars.lock"):
        if _jars_current(digest):
            return JAR_DIR
        staging = Path(tempfile.mkdtemp(prefix="jars.", dir=CACHE_DIR))
        try:
            _copy_dependencies(staging)
            (staging / JAR_STAMP).write_text(digest)
            staging.chmod(0o755)
            shutil.rmtree(JAR_DIR, ignore_errors=True)
            staging.rename(JAR_DIR)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return JAR_DIR


def _pom_digest() -> str:
    return hashlib.sha256(POM_PATH.read_bytes()).hexdigest()


def _jars_current(digest: str) -> bool:
    stamp = JAR_DIR / JAR_STAMP
    return stamp.is_file() and stamp.read_text().strip() == digest


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise concurrent downloads (e.g. parallel test workers) on one cache."""
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_dependencies(target: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven ('mvn') is not on PATH; it is needed once to fetch the Kafka jars.")
    command = [
        mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(POM_PATH), "dependency:copy-dependencies",
        f"-DoutputDirectory={target}", "-DincludeScope=runtime",
    ]
    log.info("Fetching Kafka jars with Maven into %s", JAR_DIR)
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0 or not any(target.glob("*.jar")):
        output = tail_text(result.stdout + result.stderr, 40)
        raise RuntimeError(f"Maven could not fetch the Kafka jars (exit {result.returncode}):\n{output}")

