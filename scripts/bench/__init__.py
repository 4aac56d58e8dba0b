"""Live-vote benchmark: `make bench` (BENCH_ARGS="--mode burst --phones 1000" for one mode).

Starts the app as `make run` would (daphne, SQLite, in-memory channel layer) on its own fresh
database, opens simulated phones over real WebSockets and measures:

  burst        N phones (default 1,000) connect, then all vote at once.
  paced        N phones (default 1,000) connect, then vote at a steady --rate (default 500/s).
  connections  N phones (default 5,000) connect and stay idle: server memory and connect time.
  report       no server: the post-session report rendered for 5,000 ballots.
  doors        N phones (default 1,000) arrive together as browsers do (scripts/bench/doors.py):
               the join link with no cookie, its static files, the join POST, the socket;
               then each loads the page again. Pages/s, latencies, time until every phone is
               connected, and the server CPU per kind of request from calibration phases.
  all          each of the above in its own process, on its own database (the default).
  scaleout     not in `all` (about 4.5 minutes a round): starts a throwaway Redis and
               PostgreSQL (scripts/services.sh), then alternates 1 and 2 daphne workers
               (--rounds, default 1), each on a fresh migrated database and a flushed Redis.
               N phones (default 5,000) are dealt to the workers in turn, client-side (no
               nginx), then all vote at once (--voters for fewer). Reports the figures of
               burst per setup, memory per worker, CPU of everything on the machine while
               voting, garbage collection in the workers, PostgreSQL lock waits and batch
               sizes, the time for a stage change (console on the last worker) to reach
               every phone, and the ratio of ballots/s of 2 workers to 1. --with-embedded adds the
               embedded default (burst) as another baseline. Worker i runs on CPU i mod 2; the
               client, PostgreSQL and Redis are unpinned (--pin none: nothing pinned).
  doors-scaleout  not in `all`: the doors run through scripts/serve.py (nginx in front) with
               1 and then 2 workers on PostgreSQL and Redis (default 5,000 phones each); the
               ratio of their pages/s and of their server CPU per page.

The phones speak WebSocket through a lean client of the bench's own (scripts/bench/ws.py):
it shares the machine with the server, so it should take as little of it as it can.

An acknowledgement ("✓ Your vote" on the phone) means the ballot is committed, so a ballot
acknowledged but missing from the database afterwards is lost. The projector socket records
each tally push; "full tally" is the first push whose data-total equals the stored count.

Attendees are bulk-created and their signed cookies computed in this process (same
WORKSHOP_VAR_DIR, so the same secret key), not by N page loads, except in the doors modes,
where each phone joins through the page as live.js does. The vote is opened with
voting.services.poll_open before any phone connects. The server is pinned to CPU 0 and this
client to CPU 1 when taskset is available (scaleout: see above). Every wait has a timeout;
each mode has a deadline.
Prints a short summary and one JSON document, also written to bench/results/<timestamp>.json.

Two more commands share the package:
  compare BEFORE.json AFTER.json   every numeric figure of two results side by side
                                   (scripts/bench/compare.py; make bench-compare)
  rebalance [--phones 5000]        workers evening out their phones after one restarts,
                                   through scripts/serve.py (scripts/bench/rebalance.py)

Modules, one concern each:
  __main__    the command line: options and dispatch
  config      paths, mode names, default sizes and deadlines shared by the modules
  processes   the daphne server, CPU pinning, open-file limit, /proc memory and CPU figures
  app         the Django side: fresh database, attendees and cookies, stored ballots
  ws          the lean WebSocket client
  httpclient  the lean HTTP/1.1 client (doors): keep-alive, chunked, cookies, source address
  clients     simulated phones and the projector, connecting and voting
  phases      a mode's socket phase: vote, connections, state push, within a deadline
  faults      the scale-out fault runs: Redis restarted, a worker killed mid-burst
  modes       burst, paced, connections and doors on the embedded setup; a mode in a child
              process
  doors       phones arriving through the join link, and the calibration phases
  doors_scaleout  the doors run through serve.py and nginx, 1 worker against 2
  scaleout    1 and 2 workers on PostgreSQL and Redis, and the ratio between them
  services    the throwaway Redis and PostgreSQL of scripts/services.sh
  postgres    PostgreSQL administration and the lock and batch probe
  gctrace     garbage collections of the workers, timed
  stats       percentiles, medians, milliseconds
  report      targets, the printed summary and the JSON document
  compare     two result documents side by side
  rebalance   the rebalance measurement through scripts/serve.py and nginx
"""
