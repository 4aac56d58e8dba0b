"""Two result documents of the bench side by side:

    .venv/bin/python scripts/bench compare BEFORE.json AFTER.json
    make bench-compare BEFORE=bench/results/<a>.json AFTER=bench/results/<b>.json
    .venv/bin/python scripts/bench compare --before a1.json a2.json a3.json --after b1.json ...

With several documents a side, each figure is the median of that side's runs: alternate the
runs of the two versions (before, after, before, after, ...) so that both meet the same
machine, and compare the medians.

Every numeric figure in either document is printed with its value before and after and the
ratio after/before. Each figure is known to be better higher (ballots/s, phones connected,
the 2-vs-1 ratio), better lower (times, memory, CPU seconds, lost or refused ballots,
tracebacks) or not judged (what was asked for, such as phones and rates, and context such as
ports, limits and the machine). A judged figure more than 5% worse than before is marked
WORSE; so is one that was 0 and no longer is (ballots lost), and one that had a value and is
null after (the bench writes null when it could not measure a figure, e.g. not every phone
got the push). A figure found in one document only is shown, not judged.

Only the standard library is used, so any Python 3.12 runs it.
"""

import argparse
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

WORSE_BY = 0.05
HIGHER, LOWER, NOT_JUDGED = "higher", "lower", "not judged"

# A figure is judged by the first of its path's names (from the figure's own name up through
# its parents) that a rule knows: `burst.ack_ms.p95` is judged as `ack_ms`. Names first, then
# patterns, at each level.
BY_NAME = {
    **dict.fromkeys(
        (
            "ballots_per_second", "connects_per_second", "achieved_send_rate",
            "phones_connected", "phones_updated", "phones_back", "ballots_acked",
            "ballots_stored", "phones_with_first_frame_at_deadline",
            # doors
            "pages_per_second", "first_pages_ok", "pages_ok", "phones_connected_at_end",
        ),
        HIGHER,
    ),
    **dict.fromkeys(
        (
            "ballots_refused", "ballots_unanswered", "connect_failed", "out_of_order",
            "tracebacks", "ballots_not_as_last_tapped", "connect_attempts", "kb_per_socket",
            "collections", "sessions_waiting_for_lock", "sessions_idle_in_transaction",
            # doors: failures, refusals, and CPU per request with 2 workers against 1
            "phones_failed", "failed", "errors", "joins_refused_429", "phones_that_retried_join",
            "cpu_per_page_ratio_2_vs_1", "cpu_per_phone_arrival_ratio_2_vs_1",
            "workers_cpu_per_ballot_2_vs_1", "cpu_per_first_page_calibration_ratio_2_vs_1",
        ),
        LOWER,
    ),
    **dict.fromkeys(
        (
            # what was asked for, and the setting a measurement ran with
            "meta", "target", "target_rate", "phones", "phones_requested", "phones_voting",
            "phones_per_measurement", "voters_per_measurement", "worker_processes", "port",
            "killed_after_ms", "server_open_files_limit", "client_open_files_limit",
            # counts that describe what happened, neither good nor bad in themselves
            "ballots_sent", "tally_frames", "final_total", "samples",
            "sessions_running_statement", "write_transactions", "ballots_per_write_transaction",
            "phones_on_killed_worker", "ballots_acked_before_kill",
            "ballots_unacked_on_killed_worker", "ballots_resent", "phones_reconnected_to",
            "closed_by_server_with", "return_window_seconds", "sent_back",
            # CPU per wall second: a faster burst uses more of it for the same work
            "cpu_share_voting", "server_cpu_share_voting",
            # an estimate from the 1-worker CPU, and the state of the machine
            "ratio_ceiling_from_1_worker_cpu", "voting_window_epoch", "loadavg_1min_end",
            # doors: the run's settings and what a phone's page asked for
            "count", "requests", "concurrency", "in_flight_limit", "phones_per_address",
            "statics_per_phone", "http_connections_opened", "statuses", "threads",
            "open_files", "open_sockets",
        ),
        NOT_JUDGED,
    ),
}  # fmt: skip
BY_PATTERN = (
    (re.compile(r"(^|_)(ms|seconds)(_|$)"), LOWER),
    (re.compile(r"(^|_)(rss|hwm)(_|$)"), LOWER),
    (re.compile(r"(^|_)lost$"), LOWER),
    (re.compile(r"(^|_)ratio(_|$)"), HIGHER),
)


@dataclass
class Row:
    figure: str
    before: float | None
    after: float | None
    better: str
    in_before: bool = True
    in_after: bool = True

    @property
    def ratio(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        if self.before == 0:
            return 1.0 if self.after == 0 else None
        return self.after / self.before

    @property
    def worse(self) -> bool:
        """More than WORSE_BY worse than before, in the direction that is better."""
        if self.better == NOT_JUDGED or not (self.in_before and self.in_after):
            return False
        if self.before is None:
            return False
        if self.after is None:
            return True  # measured before, not measurable after
        if self.better == LOWER:
            return self.after > self.before * (1 + WORSE_BY) if self.before > 0 else self.after > 0
        return self.before > 0 and self.after < self.before * (1 - WORSE_BY)


def direction(path: tuple) -> str:
    """Whether a figure is better higher or lower, or not judged, from its path's names."""
    for name in reversed(path):
        if isinstance(name, int):
            continue  # a list item is judged by the list's name
        if name in BY_NAME:
            return BY_NAME[name]
        for pattern, better in BY_PATTERN:
            if pattern.search(name):
                return better
    return NOT_JUDGED


def dotted(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def figures(document, path: tuple = ()) -> dict[str, tuple[tuple, float | None]]:
    """{dotted name: (path, value)} of every number in the document, and of every null (which
    may stand for a figure that could not be measured). Booleans and text are left out."""
    found = {}
    if isinstance(document, dict):
        for key, value in document.items():
            found.update(figures(value, (*path, str(key))))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            found.update(figures(value, (*path, i)))
    elif document is None or (isinstance(document, int | float) and not isinstance(document, bool)):
        found[dotted(path)] = (path, document)
    return found


def median_figures(documents: list) -> dict[str, tuple[tuple, float | None]]:
    """figures() of several runs, each figure the median of the runs that measured it (null
    when none did)."""
    maps = [figures(document) for document in documents]
    merged = {}
    for name in dict.fromkeys(n for m in maps for n in m):
        path = next(m[name][0] for m in maps if name in m)
        values = [m[name][1] for m in maps if m.get(name, (None, None))[1] is not None]
        merged[name] = (path, statistics.median(values) if values else None)
    return merged


def rows(before, after) -> list[Row]:
    """One row per figure that is a number in either side, in the order of `before` (then
    figures found only in `after`). A side is one result document, or a list of them (each
    figure the median of the list)."""
    old = median_figures(before) if isinstance(before, list) else figures(before)
    new = median_figures(after) if isinstance(after, list) else figures(after)
    out = []
    for name in [*old, *(n for n in new if n not in old)]:
        path = (old.get(name) or new[name])[0]
        b, a = old.get(name, (None, None))[1], new.get(name, (None, None))[1]
        if b is None and a is None:
            continue
        out.append(Row(name, b, a, direction(path), name in old, name in new))
    return out


def value_text(value: float | None, present: bool) -> str:
    if not present:
        return "absent"
    return "null" if value is None else str(value)


def render(rows_: list[Row], before_label: str, after_label: str) -> str:
    width = max([len("figure"), *(len(r.figure) for r in rows_)])
    cells = [
        (
            r.figure,
            value_text(r.before, r.in_before),
            value_text(r.after, r.in_after),
            "-" if r.ratio is None else f"{r.ratio:.2f}",
            r.better,
            "WORSE" if r.worse else "",
        )
        for r in rows_
    ]
    wide = max([12, *(len(c[i]) for c in cells for i in (1, 2))])
    lines = [
        f"before: {before_label}",
        f"after:  {after_label}",
        f"better: higher or lower is better for that figure; not judged: a setting or context."
        f" WORSE: a judged figure more than {WORSE_BY:.0%} worse than before (or null after).",
        "",
        f"{'figure':<{width}}  {'before':>{wide}}  {'after':>{wide}}  {'after/before':>12}  better",
    ]
    for name, b, a, ratio, better, mark in cells:
        line = f"{name:<{width}}  {b:>{wide}}  {a:>{wide}}  {ratio:>12}  {better:<10}  {mark}"
        lines.append(line.rstrip())
    judged = [r for r in rows_ if r.better != NOT_JUDGED]
    worse = [r.figure for r in rows_ if r.worse]
    lines += [
        "",
        f"{len(rows_)} figures, {len(judged)} judged;"
        f" {len(worse)} worse by more than {WORSE_BY:.0%}"
        + (f": {', '.join(worse)}" if worse else ""),
    ]
    return "\n".join(lines)


def label(path: Path, document: dict) -> str:
    meta = document.get("meta") or {}
    found = [str(meta[k]) for k in ("when", "git_commit") if meta.get(k)]
    return f"{path}" + (f" ({', '.join(found)})" if found else "")


def _read(parser, paths: list[Path]) -> list[dict]:
    documents = []
    for path in paths:
        try:
            documents.append(json.loads(path.read_text()))
        except (OSError, ValueError) as error:
            parser.error(f"{path}: {error}")
    return documents


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="bench compare", description=__doc__.split("\n\n")[0].rstrip(":") + "."
    )
    parser.add_argument(
        "files", type=Path, nargs="*", help="BEFORE.json AFTER.json: two result documents"
    )
    parser.add_argument("--before", type=Path, nargs="+", help="runs of the first version")
    parser.add_argument("--after", type=Path, nargs="+", help="runs of the second version")
    args = parser.parse_args(argv)
    if args.files and (args.before or args.after):
        parser.error("give BEFORE AFTER, or --before ... --after ..., not both")
    if args.files:
        if len(args.files) != 2:
            parser.error("give two result documents: BEFORE AFTER")
        args.before, args.after = [args.files[0]], [args.files[1]]
    if not (args.before and args.after):
        parser.error("give BEFORE AFTER, or --before ... --after ...")
    before, after = _read(parser, args.before), _read(parser, args.after)
    if len(before) == 1 and len(after) == 1:
        labels = label(args.before[0], before[0]), label(args.after[0], after[0])
        table = rows(before[0], after[0])
    else:
        labels = tuple(
            f"median of {len(docs)}: "
            + "; ".join(label(p, d) for p, d in zip(paths, docs, strict=True))
            for paths, docs in ((args.before, before), (args.after, after))
        )
        table = rows(before, after)
    print(render(table, *labels))
    return 0
