"""What a ``--profile`` run's ``.prof`` files say: per process, the functions with the most own time,
and our own functions (services/, shared/, contracts/) with the most cumulative time."""

from __future__ import annotations

import io
import pstats
from pathlib import Path

TOP = 15
OURS = r"/(services|shared|contracts)/"


def summarize(directory: Path, top: int = TOP) -> str:
    parts = []
    for path in sorted(directory.glob("*.prof")):
        own = _listing(path, "tottime", top)
        ours = _listing(path, "cumulative", top, OURS)
        parts.append(f"===== {path.stem}: top {top} by own time =====\n{own}\n"
                     f"===== {path.stem}: our functions, top {top} by cumulative time =====\n{ours}")
    return "\n\n".join(parts) or f"no profiles in {directory}"


def _listing(path: Path, order: str, top: int, *restrictions: str) -> str:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    if not restrictions:
        stats.strip_dirs()
    stats.sort_stats(order).print_stats(*restrictions, top)
    text = out.getvalue()
    return text[text.index("ncalls"):].rstrip() if "ncalls" in text else text.strip()
