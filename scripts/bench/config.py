"""Paths, mode names, default sizes and deadlines: the figures every part of the bench shares.

Each module keeps its own timeouts and limits; only what several of them need is here."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(__file__).resolve().parent  # `python scripts/bench` runs this package
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
JOIN_CODE = "PCN25"
DOORS = "doors"  # phones arriving through the join link, page and all
# `all`; the scale-out modes are run on their own. A 1,000-phone doors run took 87 s here on
# the server before its pages were made cheaper, 13 s of it collecting the static files
# (which `all` does once for every mode).
MODES = ("burst", "paced", "connections", "report", DOORS)
SCALEOUT = "scaleout"
DOORS_SCALEOUT = "doors-scaleout"
DEFAULT_PHONES = {
    "burst": 1000, "paced": 1000, "connections": 5000, "report": 5000, SCALEOUT: 5000,
    DOORS: 1000, DOORS_SCALEOUT: 5000,
}  # fmt: skip
# Seconds for a mode's socket phase; setup and teardown come on top. Connections gets more:
# 5,000 handshakes took 48-67 s here, and a state push to all of them follows. A scale-out
# measurement connects 5,000 phones to one worker (the baseline), then they all vote.
# Doors: calibration, the arrival and the returning pages; 5,000 phones on the old server
# arrive in about two minutes.
DEADLINES = {
    "burst": 120.0, "paced": 120.0, "connections": 180.0, "report": 120.0, SCALEOUT: 240.0,
    DOORS: 240.0, DOORS_SCALEOUT: 300.0,
}  # fmt: skip
REPORT_RENDER_MS = 1000.0  # the report for 5,000 ballots, 300 questions, 300 views
RECOVERY_TIMEOUT = 240.0  # seconds for every phone to be back after a Redis restart
