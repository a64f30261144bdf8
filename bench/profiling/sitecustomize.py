"""Profiles a whole service process with cProfile when ``BENCH_PROFILE_DIR`` is set (``--profile``).

Python imports ``sitecustomize`` at start-up from anywhere on ``sys.path``; the bench puts this
folder on the services' PYTHONPATH, so no service code changes. Every thread gets its own profiler
(aiosqlite runs maintenance on a thread), and at exit all are merged into
``$BENCH_PROFILE_DIR/<SCIMFLOW_INSTANCE_ID>.prof``. The services exit normally on SIGTERM, so atexit runs.
"""

import os

if os.environ.get("BENCH_PROFILE_DIR"):
    import atexit
    import cProfile
    import pstats
    import threading

    _main = cProfile.Profile()
    _threads: list[cProfile.Profile] = []

    def _profile_thread(*_: object) -> None:
        profiler = cProfile.Profile()
        _threads.append(profiler)
        profiler.enable()

    def _dump() -> None:
        _main.disable()
        stats = pstats.Stats(_main)
        for profiler in _threads:
            stats.add(profiler)
        name = os.environ.get("SCIMFLOW_INSTANCE_ID") or str(os.getpid())
        stats.dump_stats(os.path.join(os.environ["BENCH_PROFILE_DIR"], f"{name}.prof"))

    threading.setprofile(_profile_thread)
    atexit.register(_dump)
    _main.enable()
