"""The bench's comparison of two result documents (scripts/bench/compare.py), on small
hand-written documents shaped like the bench's own."""

import json
import sys

from tests.processes import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from bench import compare

BEFORE = {
    "meta": {"when": "2026-01-01T10:00:00+00:00", "git_commit": "aaaaaaa", "cpus": 2},
    "burst": {
        "phones_requested": 200,
        "phones_connected": 200,
        "ballots_per_second": 1000.0,
        "ballots_lost": 0,
        "ack_ms": {"p50": 20.0, "p95": 40.0},
        "server_rss_mb_connected": 100.0,
        "projector": {"tally_frames": 5, "full_tally_seen": True},
        "state_push": {"all_phones_ms": 60.0},
        "refusal_example": None,
        "cpu_pinning": "none",
    },
    "targets": {"burst_ack_p95_ms": {"target": 250, "value": 40.0, "met": True}},
}
AFTER = {
    "meta": {"when": "2026-01-02T10:00:00+00:00", "git_commit": "bbbbbbb", "cpus": 2},
    "burst": {
        "phones_requested": 400,  # asked for: never judged
        "phones_connected": 200,
        "ballots_per_second": 960.0,  # 4% lower: within 5%
        "ballots_lost": 3,  # from 0: worse by any amount
        "ack_ms": {"p50": 21.0, "p95": 50.0},  # p95 25% higher: worse
        "server_rss_mb_connected": 90.0,  # lower memory: better
        "projector": {"tally_frames": 9, "full_tally_seen": True},
        "state_push": {"all_phones_ms": None},  # not every phone got the push
        "refusal_example": None,
        "cpu_pinning": "none",
        "kb_per_socket": 40.0,  # only in this document
    },
    "targets": {"burst_ack_p95_ms": {"target": 250, "value": 50.0, "met": True}},
}


def by_figure(before: dict, after: dict) -> dict[str, compare.Row]:
    return {row.figure: row for row in compare.rows(before, after)}


def test_compare_rows_hold_every_number_and_no_text_booleans_or_nulls_alone():
    rows = by_figure(BEFORE, AFTER)

    assert list(rows) == [
        "meta.cpus",
        "burst.phones_requested",
        "burst.phones_connected",
        "burst.ballots_per_second",
        "burst.ballots_lost",
        "burst.ack_ms.p50",
        "burst.ack_ms.p95",
        "burst.server_rss_mb_connected",
        "burst.projector.tally_frames",
        "burst.state_push.all_phones_ms",
        "targets.burst_ack_p95_ms.target",
        "targets.burst_ack_p95_ms.value",
        "burst.kb_per_socket",
    ]


def test_compare_knows_which_way_each_figure_is_better():
    rows = by_figure(BEFORE, AFTER)

    assert {name: row.better for name, row in rows.items()} == {
        "meta.cpus": "not judged",
        "burst.phones_requested": "not judged",
        "burst.phones_connected": "higher",
        "burst.ballots_per_second": "higher",
        "burst.ballots_lost": "lower",
        "burst.ack_ms.p50": "lower",
        "burst.ack_ms.p95": "lower",
        "burst.server_rss_mb_connected": "lower",
        "burst.projector.tally_frames": "not judged",
        "burst.state_push.all_phones_ms": "lower",
        "targets.burst_ack_p95_ms.target": "not judged",
        "targets.burst_ack_p95_ms.value": "lower",
        "burst.kb_per_socket": "lower",
    }


def test_compare_marks_only_figures_more_than_5_percent_worse():
    rows = by_figure(BEFORE, AFTER)

    assert sorted(name for name, row in rows.items() if row.worse) == [
        "burst.ack_ms.p95",
        "burst.ballots_lost",
        "burst.state_push.all_phones_ms",
        "targets.burst_ack_p95_ms.value",
    ]


def test_compare_ratio_is_after_over_before_and_undefined_from_zero_or_null():
    rows = by_figure(BEFORE, AFTER)

    assert rows["burst.ballots_per_second"].ratio == 0.96
    assert rows["burst.ack_ms.p95"].ratio == 1.25
    assert rows["burst.ballots_lost"].ratio is None
    assert rows["burst.state_push.all_phones_ms"].ratio is None
    assert rows["burst.kb_per_socket"].ratio is None


def test_compare_a_rate_more_than_5_percent_lower_is_worse():
    slower = {"burst": {"ballots_per_second": 940.0}}

    (row,) = compare.rows({"burst": {"ballots_per_second": 1000.0}}, slower)

    assert row.worse is True


def test_compare_the_same_document_has_nothing_worse():
    assert [row.figure for row in compare.rows(BEFORE, BEFORE) if row.worse] == []


def test_compare_command_prints_both_values_ratio_direction_and_mark(tmp_path, capsys):
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(BEFORE))
    after.write_text(json.dumps(AFTER))

    code = compare.main([str(before), str(after)])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0] == f"before: {before} (2026-01-01T10:00:00+00:00, aaaaaaa)"
    assert lines[1] == f"after:  {after} (2026-01-02T10:00:00+00:00, bbbbbbb)"
    table = {line.split()[0]: line.split()[1:] for line in lines[5:-2]}
    assert table["burst.ack_ms.p95"] == ["40.0", "50.0", "1.25", "lower", "WORSE"]
    assert table["burst.ballots_per_second"] == ["1000.0", "960.0", "0.96", "higher"]
    assert table["burst.phones_requested"] == ["200", "400", "2.00", "not", "judged"]
    assert table["burst.state_push.all_phones_ms"] == ["60.0", "null", "-", "lower", "WORSE"]
    assert table["burst.kb_per_socket"] == ["absent", "40.0", "-", "lower"]
    assert lines[-1] == (
        "13 figures, 9 judged; 4 worse by more than 5%: burst.ballots_lost, "
        "burst.ack_ms.p95, burst.state_push.all_phones_ms, targets.burst_ack_p95_ms.value"
    )


def test_compare_takes_the_median_of_each_sides_runs():
    runs = [{"burst": {"ack_ms": {"p95": v}, "ballots_per_second": r}} for v, r in
            ((40.0, 900.0), (90.0, 1000.0), (42.0, None))]  # fmt: skip
    (p95, rate) = compare.rows(runs, [{"burst": {"ack_ms": {"p95": 43.0}}}])

    assert (p95.figure, p95.before, p95.after, p95.worse) == ("burst.ack_ms.p95", 42.0, 43.0, False)
    # Only the runs that measured a figure count towards its median.
    assert (rate.figure, rate.before, rate.in_after) == ("burst.ballots_per_second", 950.0, False)


def test_compare_command_with_several_runs_a_side(tmp_path, capsys):
    paths = {}
    for name, p95 in (("b1", 40.0), ("b2", 44.0), ("a1", 50.0), ("a2", 52.0)):
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps({"burst": {"ack_ms": {"p95": p95}}}))

    code = compare.main(
        ["--before", str(paths["b1"]), str(paths["b2"]), "--after", str(paths["a1"]),
         str(paths["a2"])]
    )  # fmt: skip

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].startswith("before: median of 2: ")
    table = {line.split()[0]: line.split()[1:] for line in lines[5:-2]}
    assert table["burst.ack_ms.p95"] == ["42.0", "51.0", "1.21", "lower", "WORSE"]


def test_compare_judges_the_doors_figures():
    doors = {
        "calibration": {
            "first_page": {"requests": 200, "server_cpu_ms_each": 11.9, "errors": 0},
        },
        "arrival": {
            "pages_per_second": 45.9,
            "all_connected_seconds": 7.6,
            "phones_failed": 0,
            "joins_refused_429": 0,
            "first_page_ms": {"count": 200, "p95": 4298.5},
            "statuses": {"first page 200": 200},
        },
    }
    scaleout = {
        "ratio_2_vs_1_pages_per_second": 1.67,
        "cpu_per_page_ratio_2_vs_1": 1.12,
        "pages_per_second": {"1 worker": 45.3, "2 workers": 75.8},
    }
    document = {"doors": doors, "doors-scaleout": scaleout}

    rows = by_figure(document, document)

    assert {name: row.better for name, row in rows.items()} == {
        "doors.calibration.first_page.requests": "not judged",
        "doors.calibration.first_page.server_cpu_ms_each": "lower",
        "doors.calibration.first_page.errors": "lower",
        "doors.arrival.pages_per_second": "higher",
        "doors.arrival.all_connected_seconds": "lower",
        "doors.arrival.phones_failed": "lower",
        "doors.arrival.joins_refused_429": "lower",
        "doors.arrival.first_page_ms.count": "not judged",
        "doors.arrival.first_page_ms.p95": "lower",
        "doors.arrival.statuses.first page 200": "not judged",
        "doors-scaleout.ratio_2_vs_1_pages_per_second": "higher",
        "doors-scaleout.cpu_per_page_ratio_2_vs_1": "lower",
        "doors-scaleout.pages_per_second.1 worker": "higher",
        "doors-scaleout.pages_per_second.2 workers": "higher",
    }
