"""Reads for the people taking part."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from panel.models import BoardPost, Person, Question, Upvote
from workshop.models import AgendaItem, Workshop


@dataclass(frozen=True)
class PeopleGroup:
    role: str
    heading: str
    people: list[Person]


_HEADINGS = {
    Person.Role.CHAIR: "Chair",
    Person.Role.PRESENTER: "Presenting the findings",
    Person.Role.PANELLIST: "Panel",
}


def people_by_role(*, workshop: Workshop) -> list[PeopleGroup]:
    """Chair, presenters, panel: each group in its display order, empty groups left out."""
    people = list(workshop.people.all())
    return [
        PeopleGroup(role=role, heading=heading, people=group)
        for role, heading in _HEADINGS.items()
        if (group := [p for p in people if p.role == role])
    ]


def person_get(*, workshop: Workshop, pk: int) -> Person | None:
    return (
        workshop.people.prefetch_related(
            Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("position", "id"))
        )
        .filter(pk=pk)
        .first()
    )


# --- Questions and the board ---------------------------------------------------------------

VISIBLE = (Question.Status.LIVE, Question.Status.ANSWERED)
LIST_LIMIT = 50


def _questions(workshop_id: int) -> QuerySet[Question]:
    return (
        Question.objects.filter(workshop_id=workshop_id)
        .select_related("theme", "panellist")
        .annotate(votes=Count("upvotes"))
    )


def questions_visible(*, workshop_id: int, sort: str = "top") -> list[Question]:
    """What every phone sees: live and answered questions, most votes or newest first."""
    order = ["-votes", "-created_at", "-id"] if sort == "top" else ["-created_at", "-id"]
    return list(_questions(workshop_id).filter(status__in=VISIBLE).order_by(*order)[:LIST_LIMIT])


def questions_queue(*, workshop_id: int) -> dict[str, list[Question]]:
    """The console's queue by status: waiting oldest first, live by votes, the rest newest."""
    rows = list(_questions(workshop_id).order_by("-created_at", "-id")[: LIST_LIMIT * 4])
    queue = {status: [q for q in rows if q.status == status] for status in Question.Status.values}
    queue[Question.Status.PENDING].reverse()
    queue[Question.Status.LIVE].sort(key=lambda q: (-q.votes, -q.created_at.timestamp()))
    return queue


def question_get(*, workshop_id: int, pk: int | None) -> Question | None:
    if not pk:
        return None
    return _questions(workshop_id).filter(pk=pk).first()


def board_posts(*, workshop_id: int, theme_id: int | None = None) -> dict[str, list[BoardPost]]:
    """Visible posts, newest first, in two columns. Once a theme is decided: that theme's
    posts and the general ones (posted without a theme), not those on other themes."""
    posts = BoardPost.objects.filter(workshop_id=workshop_id, hidden=False, held=False)
    posts = posts.select_related("theme")
    if theme_id:
        posts = posts.filter(Q(theme_id=theme_id) | Q(theme__isnull=True))
    posts = list(posts[: LIST_LIMIT * 2])
    return {kind: [p for p in posts if p.kind == kind] for kind in BoardPost.Kind.values}


def board_posts_console(*, workshop_id: int) -> tuple[list[BoardPost], list[BoardPost]]:
    """The console's views in one query: those waiting for approval (oldest first, as a
    queue), and the rest, hidden ones included (newest first)."""
    rows = list(
        BoardPost.objects.filter(workshop_id=workshop_id).select_related("theme")[: LIST_LIMIT * 2]
    )
    held = [p for p in rows if p.held]
    held.reverse()
    return held[:LIST_LIMIT], [p for p in rows if not p.held][:LIST_LIMIT]


def board_posts_held_of(*, attendee_id: int | None) -> list[BoardPost]:
    """This attendee's views still waiting for approval (none without an attendee)."""
    if not attendee_id:
        return []
    return list(BoardPost.objects.filter(attendee_id=attendee_id, held=True))


def questions_pending_of(*, attendee_id: int | None) -> list[Question]:
    """This attendee's questions still waiting for approval. No attendee: none (questions
    whose attendee was purged have no attendee either, and belong to nobody)."""
    if not attendee_id:
        return []
    return list(Question.objects.filter(attendee_id=attendee_id, status=Question.Status.PENDING))


def attendee_marks(*, attendee_id: int | None) -> tuple[set[int], set[int]]:
    """(questions this attendee asked, questions this attendee upvoted)."""
    if not attendee_id:
        return set(), set()
    mine = set(Question.objects.filter(attendee_id=attendee_id).values_list("pk", flat=True))
    upvoted = Upvote.objects.filter(attendee_id=attendee_id).values_list("question_id", flat=True)
    upvoted = set(upvoted)
    return mine, upvoted
