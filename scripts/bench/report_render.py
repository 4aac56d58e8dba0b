"""The report mode: how long the post-session report (/s/<CODE>/report/) takes to render for
a large session: 5,000 ballots (some changed), 300 questions with upvotes and 300 views,
bulk-inserted into a throwaway SQLite database with the demo workshop. The figure is the
median of several renders of the whole page (selectors and template), in this process."""

import datetime
import shutil
import statistics
import tempfile
import time
from pathlib import Path

RUNS = 7


def report_data_build(*, workshop, ballots: int, questions: int, views: int) -> None:
    """A decided vote with `ballots` ballots over ten minutes, `questions` questions in every
    state with upvotes, `views` views (some held or hidden) and the agenda run through:
    bulk inserts, for size, with the services' shapes. Shared with the tests."""
    from django.utils import timezone

    from panel.models import BoardPost, Question, Upvote
    from voting.models import Ballot, Poll
    from workshop.models import Attendee, StageEvent

    start = timezone.now() - datetime.timedelta(hours=2)
    items = list(workshop.agenda_items.all())
    StageEvent.objects.bulk_create(
        StageEvent(
            workshop=workshop, item=item, started_at=start + datetime.timedelta(minutes=11 * i)
        )
        for i, item in enumerate(items)
    )
    attendees = Attendee.objects.bulk_create(
        Attendee(workshop=workshop) for _ in range(max(ballots, questions, views))
    )
    themes = list(workshop.themes.order_by("position", "id"))
    opened = start + datetime.timedelta(minutes=30)
    poll = Poll.objects.create(
        workshop=workshop,
        state=Poll.State.DECIDED,
        opened_at=opened,
        closed_at=opened + datetime.timedelta(minutes=10),
        revealed_at=opened + datetime.timedelta(minutes=11),
        decided_at=opened + datetime.timedelta(minutes=11),
        decided_theme=themes[0],
        decided_by=Poll.DecidedBy.MAJORITY,
    )
    poll.options.set(themes)
    rows = []
    for i, attendee in enumerate(attendees[:ballots]):
        cast = opened + datetime.timedelta(seconds=600 * i / max(ballots, 1))
        changed = cast + datetime.timedelta(seconds=5) if i % 10 == 0 else cast
        theme = themes[0] if i % 3 == 0 else themes[i % len(themes)]
        rows.append(
            Ballot(poll=poll, attendee=attendee, theme=theme, cast_at=cast, changed_at=changed)
        )
    Ballot.objects.bulk_create(rows, batch_size=1000)
    statuses = list(Question.Status)
    asked = Question.objects.bulk_create(
        Question(
            workshop=workshop,
            attendee=attendees[i],
            text=f"Question {i}: how does the evidence apply to a network of our size?",
            theme=themes[i % len(themes)] if i % 2 else None,
            status=statuses[i % len(statuses)],
        )
        for i in range(questions)
    )
    Upvote.objects.bulk_create(
        Upvote(question=q, attendee=attendees[j]) for i, q in enumerate(asked) for j in range(i % 5)
    )
    BoardPost.objects.bulk_create(
        BoardPost(
            workshop=workshop,
            attendee=attendees[i],
            kind=BoardPost.Kind.OPPORTUNITY if i % 2 else BoardPost.Kind.CHALLENGE,
            text=f"View {i}: shared staff across practices made the difference.",
            theme=themes[i % len(themes)] if i % 4 else None,
            held=i % 17 == 0,
            hidden=i % 23 == 0,
        )
        for i in range(views)
    )


def report_run(ballots: int = 5000, questions: int = 300, views: int = 300) -> dict:
    import os
    import sys

    from .app import manage
    from .config import JOIN_CODE, ROOT

    var = Path(tempfile.mkdtemp(prefix="wl-bench-report-"))
    result: dict = {"mode": "report", "ballots": ballots, "questions": questions, "views": views}
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "workshop.settings",
            "WORKSHOP_VAR_DIR": str(var),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        for key in ("DATABASE_URL", "REDIS_URL"):
            env.pop(key, None)
            os.environ.pop(key, None)
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_demo")
        # The page names its static files through the manifest: collected as the other modes do.
        static = Path(env.setdefault("DJANGO_STATIC_ROOT", str(var / "static")))
        if not (static / "staticfiles.json").exists():
            manage(env, "collectstatic", "--noinput", "-v0")
        os.environ["DJANGO_STATIC_ROOT"] = str(static)
        os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "WORKSHOP_VAR_DIR")})
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.template.loader import render_to_string

        from workshop.models import Workshop
        from workshop.report import report_context

        workshop = Workshop.objects.get(join_code=JOIN_CODE)
        t = time.perf_counter()
        report_data_build(workshop=workshop, ballots=ballots, questions=questions, views=views)
        result["setup_seconds"] = round(time.perf_counter() - t, 2)
        timings, size = [], 0
        for _ in range(RUNS):
            t = time.perf_counter()
            html = render_to_string(
                "workshop/report/report.html", report_context(workshop=workshop)
            )
            timings.append(time.perf_counter() - t)
            size = len(html)
        result["render_ms"] = {
            "median": round(1000 * statistics.median(timings), 1),
            "min": round(1000 * min(timings), 1),
            "max": round(1000 * max(timings), 1),
            "runs": RUNS,
        }
        result["html_kb"] = round(size / 1024, 1)
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"[:2000]
    finally:
        shutil.rmtree(var, ignore_errors=True)
    return result
