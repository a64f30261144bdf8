"""The bench's pure parts: percentiles, tables, /proc parsing, the status-query bench (no Kafka, no timing
assertions)."""

from __future__ import annotations

import math
import os

import pytest

from bench import procstat, status_queries
from bench.client import Call, take_calls
from bench.report import (
    PhaseResult,
    Report,
    Usage,
    format_table,
    idle_table,
    number,
    phase_table,
    render,
    target_cells,
)
from bench.run import process_pids
from bench.settings import parse_args
from bench.stats import Timings, percentile
from shared.devtools.launcher import ServiceProcess


def test_percentile_interpolates_between_ranks_like_numpy() -> None:
    values = [4.0, 1.0, 3.0, 2.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 99) == pytest.approx(3.97)
    assert percentile([7.0], 99) == 7.0


def test_percentile_of_nothing_is_nan_and_out_of_range_is_refused() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_timings_rate_and_errors() -> None:
    timings = Timings(latencies=[0.010, 0.020, 0.030, 0.040], wall=2.0)
    timings.fail("HTTP 503", "x" * 500)
    timings.fail("HTTP 503", "second")
    assert (timings.ops, timings.rate, timings.error_count) == (4, 2.0, 2)
    assert timings.ms(50) == pytest.approx(25.0)
    assert timings.examples == {"HTTP 503": "x" * 160}


def test_format_table_pads_columns_first_left_others_right() -> None:
    table = format_table(["phase", "ops/s"], [["create", "1,500"], ["get", "12.5"]])
    assert table.splitlines() == [
        "phase   ops/s",
        "------  -----",
        "create  1,500",
        "get      12.5",
    ]


def test_number_formatting() -> None:
    assert (number(1234.4), number(12.345), number(0.1234, 2), number(math.nan), number(None)) == (
        "1,234", "12.3", "0.12", "-", "-")


def test_phase_table_shows_ratio_cpu_and_target() -> None:
    ours = Timings(latencies=[0.01] * 100, wall=0.05)  # 2000 ops/s, p99 10 ms
    base = Timings(latencies=[0.001] * 100, wall=0.01)  # 10000 ops/s
    phase = PhaseResult("create", "POST /Users", 32, ours, base,
                        {"gateway": Usage(0.1, 50_000), "bench client": Usage(5.0, 40_000)})
    assert phase.ratio() == pytest.approx(0.2)
    assert phase.system_cpu_ms_per_op() == pytest.approx(1.0)  # the client's own CPU is not the system's
    assert target_cells(phase) == (">=1500/s p99<=60", "yes")
    row = phase_table([phase]).splitlines()[2].split()
    assert row == ["create", "32", "100", "2,000", "10.0", "10.0", "10.0", "0", "1.00", "10,000", "0.200",
                   ">=1500/s", "p99<=60", "yes"]
    phase.timings.fail("HTTP 500")
    assert target_cells(phase)[1] == "NO"


def test_idle_cpu_is_a_share_of_one_core_per_process_and_in_all_without_the_client() -> None:
    report = Report(command="x", settings={}, machine={}, idle_seconds=10.0,
                    idle_cpu={"gateway": 0.25, "kafka": 0.5, "bench client": 3.0})
    rows = [line.split() for line in idle_table(report).splitlines()[3:]]
    assert rows == [["gateway", "2.5"], ["kafka", "5.0"], ["all", "7.5"]]
    assert "Idle CPU" in render(report) and "Idle CPU" not in render(Report(command="x", settings={}, machine={}))


def test_idle_seconds_default_per_mode_and_zero_skips() -> None:
    assert (parse_args([]).idle_seconds, parse_args(["--quick"]).idle_seconds) == (10.0, 2.0)
    assert parse_args(["--idle-seconds", "0"]).idle_seconds == 0.0


def test_take_calls_keeps_whole_tasks() -> None:
    call = Call("GET", "/")
    tasks = [(call,), (call, call), (call,)]
    assert take_calls(tasks, 3) == tasks[:2]
    assert take_calls(tasks, 1) == tasks[:1]
    assert take_calls([(call, call)], 1) == [(call, call)]  # at least one task


def test_parse_cpu_seconds_counts_fields_after_the_command_name() -> None:
    # A command name with spaces and parentheses; utime=250 and stime=50 ticks at 100 ticks/s.
    line = "42 (odd (name) x) S 1 42 42 0 -1 4194304 10 0 0 0 250 50 0 0 20 0 3 0 100 1000 200"
    assert procstat.parse_cpu_seconds(line, ticks_per_second=100) == 3.0


def test_parse_status_reads_kb_values() -> None:
    text = "Name:\tpython\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t3\n"
    assert procstat.parse_status_kb(text) == {"VmHWM": 2048, "VmRSS": 1024}


def test_sample_of_this_process_and_of_no_process() -> None:
    sample = procstat.sample(os.getpid())
    assert sample is not None
    assert sample.cpu_seconds > 0
    assert 0 < sample.rss_kb <= sample.peak_kb
    assert procstat.sample(2**22 + 12345) is None  # above the default pid_max: never a live pid


def test_machine_description_names_what_results_record() -> None:
    assert {"nproc", "cpu model", "memory", "python", "load average at start"} <= procstat.machine().keys()


def test_replicas_are_read_per_service_and_bad_ones_refused() -> None:
    assert parse_args(["--replicas", "gateway=2, user_store=3"]).replicas == {"gateway": 2, "user_store": 3}
    assert parse_args([]).replicas == {}
    for bad in ("gateway", "gateway=0", "nobody=2", "gateway=two"):
        with pytest.raises(SystemExit):
            parse_args(["--replicas", bad])


def test_a_service_with_several_processes_is_reported_per_instance() -> None:
    class Popen:
        def __init__(self, pid: int) -> None:
            self.pid = pid

    processes = [ServiceProcess(service, instance, Popen(pid), None) for service, instance, pid in (
        ("user_store", "user_store-1", 11), ("user_store", "user_store-2", 12), ("gateway", "gateway-3", 13))]
    assert process_pids(processes) == {"user_store-1": 11, "user_store-2": 12, "gateway": 13}


async def test_the_status_query_bench_times_every_admin_query(capsys):
    """bench/status_queries.py on a small tenant: every query answers, and each gets a line."""
    await status_queries.run(users=40, repeat=1)
    printed = capsys.readouterr().out
    assert all(name in printed for name in status_queries.QUERIES)
