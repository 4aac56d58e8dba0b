"""The scale-out figures computed from its measurements (scripts/bench/scaleout.py), on
hand-written measurements shaped like the bench's own."""

import sys

from tests.processes import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from bench.scaleout import scaleout_figures


def measurement(workers: int, acked: int, wall: float, shares: dict) -> dict:
    return {
        "worker_processes": workers,
        "phones_requested": acked,
        "phones_connected": acked,
        "ballots_acked": acked,
        "ballots_per_second": acked / wall,
        "ballots_lost": 0,
        "server_cpu_seconds_voting": shares["workers"] * wall,
        "cpu_share_voting": {**shares, "other": 0.0, "machine": sum(shares.values())},
    }


def test_cpu_per_ballot_is_compared_between_one_worker_and_two():
    one = measurement(1, 5000, 1.0, {"workers": 1.0, "postgres": 0.2, "redis": 0.1, "client": 0.3})
    two = measurement(2, 5000, 0.8, {"workers": 1.5, "postgres": 0.3, "redis": 0.1, "client": 0.3})
    out: dict = {}
    scaleout_figures(out, [one, two])
    assert out["cpu_ms_per_ballot"]["1 worker"]["workers"] == [0.2]  # 1.0 s over 5,000
    assert out["cpu_ms_per_ballot"]["2 workers"]["workers"] == [0.24]  # 1.2 s over 5,000
    assert out["cpu_ms_per_ballot"]["2 workers"]["postgres"] == [0.048]
    assert out["workers_cpu_per_ballot_2_vs_1"] == 1.2


def test_a_failed_measurement_gives_no_cpu_per_ballot():
    one = measurement(1, 5000, 1.0, {"workers": 1.0})
    two = {**measurement(2, 5000, 0.8, {"workers": 1.5}), "error": "stopped"}
    out: dict = {}
    scaleout_figures(out, [one, two])
    assert out["cpu_ms_per_ballot"]["2 workers"] == {}
    assert out["workers_cpu_per_ballot_2_vs_1"] is None
