"""Writes for audience questions, upvotes and the opportunities-and-challenges board.

Phone sockets, the HTTP fallback, the console and the admin all call these. Each runs in a
transaction, refuses with a readable ValidationError, bumps the workshop's panel version and
broadcasts after commit (coalesced, like the vote's tally).
"""

import datetime
import io
import secrets
import unicodedata

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageOps

from evidence.models import Theme
from panel.models import TEXT_LIMIT, BoardPost, Person, Question, Upvote
from workshop.events import ListsChanged, emit_on_commit
from workshop.models import Attendee, LiveState, Workshop
from workshop.services import live_state_lock, live_state_touch
from workshop.text import storable, text_refusal

QUESTIONS_PER_MINUTE = 3
POSTS_PER_MINUTE = 5
NAME_LIMIT = 60
KEY_LIMIT = 64  # as workshop.forms.KeyField


def text_clean(raw: str, *, limit: int = TEXT_LIMIT, what: str = "Your question") -> str:
    """Trimmed text, or a readable refusal: empty or invisible, too long, with control
    characters, bidi overrides or characters that are not valid text (workshop/text.py)."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(f"{what} is empty. Write something first.")
    if refusal := text_refusal(text, what=what):
        raise ValidationError(refusal)
    if len(text) > limit:
        raise ValidationError(
            f"{what} is {len(text)} characters long; the limit is {limit}. Please shorten it."
        )
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise ValidationError(f"{what} contains control characters. Please retype it.")
    return text


def _panel_touch(workshop_id: int, *, audience: bool = False) -> None:
    """Bump the panel version (clients drop older pushes) and push after commit. `audience`:
    an attendee's change, whose pushes are spread out when many come at once."""
    LiveState.objects.get_or_create(workshop_id=workshop_id)
    LiveState.objects.filter(workshop_id=workshop_id).update(panel_version=F("panel_version") + 1)
    emit_on_commit(ListsChanged(workshop_id=workshop_id, audience=audience))


def _attendee(workshop: Workshop, attendee_id: int | None) -> Attendee:
    attendee = Attendee.objects.filter(pk=attendee_id, workshop=workshop).first()
    if attendee is None:
        raise ValidationError("Join this workshop (scan the QR code or enter the code) first.")
    return attendee


def _rate_limit(model, attendee: Attendee, per_minute: int, what: str) -> None:
    since = timezone.now() - datetime.timedelta(minutes=1)
    if model.objects.filter(attendee=attendee, created_at__gte=since).count() >= per_minute:
        raise ValidationError(
            f"You can send {per_minute} {what} a minute. Please wait a moment and try again."
        )


def _sent_before(model, attendee: Attendee, key: str):
    """The question or view this attendee already sent under this idempotency key, if any.
    A phone sends a text again, with the same key, when its socket died before the answer
    (the first send may or may not have been stored); that resend is answered like the first
    and stores nothing."""
    if key and (len(key) > KEY_LIMIT or not storable(key)):
        raise ValidationError("That message was not understood. Please send it again.")
    return model.objects.filter(attendee=attendee, key=key).first() if key else None


def _create_once(model, attendee: Attendee, key: str, **fields):
    """Create the row, or return the one a concurrent send of the same key stored first (two
    workers can take the two sends at once; the unique constraint decides)."""
    try:
        with transaction.atomic():
            return model.objects.create(attendee=attendee, key=key, **fields), True
    except IntegrityError:
        earlier = _sent_before(model, attendee, key)
        if earlier is None:
            raise
        return earlier, False


def _moderates(workshop: Workshop, field: str) -> bool:
    """The workshop's moderation switch as it stands in the database: a socket holds the
    workshop it connected with, and admin may have changed the switch since."""
    return bool(Workshop.objects.filter(pk=workshop.pk).values_list(field, flat=True).first())


def _theme(workshop: Workshop, theme_id: int | None) -> Theme | None:
    if not theme_id:
        return None
    theme = Theme.objects.filter(workshop=workshop, pk=theme_id).first()
    if theme is None:
        raise ValidationError("Choose a theme from the list.")
    return theme


@transaction.atomic
def question_submit(
    *,
    workshop: Workshop,
    attendee_id: int | None,
    text: str,
    theme_id: int | None = None,
    panellist_id: int | None = None,
    author_name: str = "",
    key: str = "",
) -> Question:
    """A question from a phone. Waits for approval when the workshop moderates questions,
    else goes live at once. Refuses empty, over-long or control-character text, a theme or
    panellist not of this workshop, a stranger, and more than QUESTIONS_PER_MINUTE a minute.
    A question this attendee already sent under `key` is returned as it is (a resend)."""
    attendee = _attendee(workshop, attendee_id)
    if earlier := _sent_before(Question, attendee, key):
        return earlier
    text = text_clean(text)
    name = ""
    if (author_name or "").strip():
        name = text_clean(author_name, limit=NAME_LIMIT, what="Your name")
    theme = _theme(workshop, theme_id)
    panellist = None
    if panellist_id:
        panellist = Person.objects.filter(
            workshop=workshop, pk=panellist_id, role=Person.Role.PANELLIST
        ).first()
        if panellist is None:
            raise ValidationError("Choose a panellist from the list.")
    _rate_limit(Question, attendee, QUESTIONS_PER_MINUTE, "questions")
    moderated = _moderates(workshop, "moderate_questions")
    question, new = _create_once(
        Question,
        attendee,
        key,
        workshop=workshop,
        text=text,
        author_name=name,
        theme=theme,
        panellist=panellist,
        status=Question.Status.PENDING if moderated else Question.Status.LIVE,
        approved_at=None if moderated else timezone.now(),
    )
    if new:
        _panel_touch(workshop.pk, audience=True)
    return question


def _lock_question(question: Question | int) -> Question:
    pk = question.pk if isinstance(question, Question) else question
    found = Question.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise ValidationError("That question no longer exists.")
    return found


@transaction.atomic
def question_approve(*, question: Question | int) -> Question:
    """pending or hidden → live."""
    question = _lock_question(question)
    if question.status not in (Question.Status.PENDING, Question.Status.HIDDEN):
        raise ValidationError("Only a waiting or hidden question can be approved.")
    question.status = Question.Status.LIVE
    question.approved_at = question.approved_at or timezone.now()
    question.save(update_fields=["status", "approved_at"])
    _panel_touch(question.workshop_id)
    return question


@transaction.atomic
def question_hide(*, question: Question | int) -> Question:
    """Any visible or waiting question → hidden; taken off the projector if it was there."""
    question = _lock_question(question)
    if question.status == Question.Status.HIDDEN:
        raise ValidationError("That question is already hidden.")
    question.status = Question.Status.HIDDEN
    question.save(update_fields=["status"])
    state = live_state_lock(workshop_id=question.workshop_id)
    if state.screen_question_id == question.pk:
        state.screen_question = None
        if state.screen == LiveState.Screen.QUESTION:
            state.screen = LiveState.Screen.QUESTIONS
        live_state_touch(state=state)
    _panel_touch(question.workshop_id)
    return question


@transaction.atomic
def question_mark_answered(*, question: Question | int) -> Question:
    """live → answered."""
    question = _lock_question(question)
    if question.status != Question.Status.LIVE:
        raise ValidationError("Only a live question can be marked answered.")
    question.status = Question.Status.ANSWERED
    question.answered_at = timezone.now()
    question.save(update_fields=["status", "answered_at"])
    _panel_touch(question.workshop_id)
    return question


@transaction.atomic
def question_put_on_screen(*, question: Question | int) -> Question:
    """Show a live or answered question on the projector, in large type."""
    question = _lock_question(question)
    if question.status not in (Question.Status.LIVE, Question.Status.ANSWERED):
        raise ValidationError("Approve the question before putting it on screen.")
    state = live_state_lock(workshop_id=question.workshop_id)
    state.screen_question = question
    state.screen = LiveState.Screen.QUESTION
    live_state_touch(state=state)
    return question


def _visible_question(question_id: int, attendee: Attendee) -> Question:
    question = Question.objects.filter(pk=question_id, workshop_id=attendee.workshop_id).first()
    if question is None or question.status not in (
        Question.Status.LIVE,
        Question.Status.ANSWERED,
    ):
        raise ValidationError("That question is not open for upvotes.")
    return question


@transaction.atomic
def question_upvote(*, workshop: Workshop, question_id: int, attendee_id: int | None) -> int:
    """The attendee's upvote on a visible question: one each (a database constraint backs it).
    Returns the question's number of upvotes.

    The phone says what it wants (upvoted), not "one more": an upvote it already has is
    answered with the count and changes nothing. So a phone that lost the answer with its
    socket can send it again, and two tabs of one attendee cannot count twice."""
    attendee = _attendee(workshop, attendee_id)
    question = _visible_question(question_id, attendee)
    if not Upvote.objects.filter(question=question, attendee=attendee).exists():
        try:
            with transaction.atomic():
                Upvote.objects.create(question=question, attendee=attendee)
        except IntegrityError:
            pass  # the same upvote, stored a moment ago by another worker: nothing to add
        else:
            _panel_touch(workshop.pk, audience=True)
    return question.upvotes.count()


@transaction.atomic
def question_unvote(*, workshop: Workshop, question_id: int, attendee_id: int | None) -> int:
    """Take the attendee's upvote back. Returns the question's number of upvotes. Like
    question_upvote, it says what the phone wants: with no upvote to take back it answers
    with the count and changes nothing."""
    attendee = _attendee(workshop, attendee_id)
    if not Question.objects.filter(pk=question_id, workshop=workshop).exists():
        raise ValidationError("That question is not in this workshop.")
    deleted, _ = Upvote.objects.filter(question_id=question_id, attendee=attendee).delete()
    if deleted:
        _panel_touch(workshop.pk, audience=True)
    return Upvote.objects.filter(question_id=question_id).count()


@transaction.atomic
def board_post_submit(
    *,
    workshop: Workshop,
    attendee_id: int | None,
    kind: str,
    text: str,
    theme_id: int | None,
    key: str = "",
) -> BoardPost:
    """A view on an opportunity or a challenge: held for approval when the workshop
    moderates views, else shown on the board at once. A view this attendee already sent
    under `key` is returned as it is (a resend)."""
    attendee = _attendee(workshop, attendee_id)
    if earlier := _sent_before(BoardPost, attendee, key):
        return earlier
    if kind not in BoardPost.Kind.values:
        raise ValidationError("Say whether it is an opportunity or a challenge.")
    text = text_clean(text, what="Your view")
    theme = _theme(workshop, theme_id)
    _rate_limit(BoardPost, attendee, POSTS_PER_MINUTE, "views")
    post, new = _create_once(
        BoardPost, attendee, key, workshop=workshop, kind=kind, text=text, theme=theme,
        held=_moderates(workshop, "moderate_views"),
    )  # fmt: skip
    if new:
        _panel_touch(workshop.pk, audience=True)
    return post


def _lock_post(post: BoardPost | int) -> BoardPost:
    pk = post.pk if isinstance(post, BoardPost) else post
    found = BoardPost.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise ValidationError("That view no longer exists.")
    return found


@transaction.atomic
def board_post_approve(*, post: BoardPost | int) -> BoardPost:
    """held or hidden → shown on the board, to every phone and the projector."""
    post = _lock_post(post)
    if not (post.held or post.hidden):
        raise ValidationError("That view is already on the board.")
    post.held = post.hidden = False
    post.save(update_fields=["held", "hidden"])
    _panel_touch(post.workshop_id)
    return post


@transaction.atomic
def board_post_hide(*, post: BoardPost | int) -> BoardPost:
    """shown or held → hidden: off the board, and out of the approval queue."""
    post = _lock_post(post)
    if post.hidden:
        raise ValidationError("That view is already hidden.")
    post.hidden, post.held = True, False
    post.save(update_fields=["hidden", "held"])
    _panel_touch(post.workshop_id)
    return post


# --- Photos --------------------------------------------------------------------------------
# A photo is uploaded once, in admin, and shown on every phone in the room at 56-72 CSS px
# (up to about 220 device pixels on a high-density screen). The upload is refused above
# PHOTO_MAX_BYTES (a full-size phone camera JPEG is 2-6 MB; 8 MB leaves room for a PNG
# export) or PHOTO_MAX_PIXELS (25 megapixels covers phone and most camera photos; decoding
# one takes about 100 MB of memory, where a 144-megapixel image would take over 500 MB).
# What is stored is re-encoded: a square crop of at most PHOTO_SIZE pixels, as a JPEG with no
# metadata (no EXIF, GPS position, camera or author), its camera orientation applied.

PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_PIXELS = 25_000_000
PHOTO_SIZE = 512
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")  # Pillow opens no other format here (no EPS, no TIFF)
PHOTO_QUALITY = 85


class PreparedPhoto(ContentFile):
    """A photo already checked and re-encoded by photo_prepare."""


def _photo_size(upload) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        size = upload.seek(0, io.SEEK_END)
    upload.seek(0)
    return size


def photo_prepare(*, upload) -> PreparedPhoto:
    """Check an uploaded photo and re-encode it for phones; raises ValidationError otherwise.

    Refuses a file over PHOTO_MAX_BYTES, one that is not a JPEG, PNG or WebP image (or is
    damaged), and one over PHOTO_MAX_PIXELS: the pixel count is read from the header, before
    anything is decoded, so a small file that would expand to a huge image is never expanded.
    """
    size = _photo_size(upload)
    if size > PHOTO_MAX_BYTES:
        raise ValidationError(
            f"The photo is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{PHOTO_MAX_BYTES // 1024 // 1024} MB. Please upload a smaller copy."
        )
    too_large = ValidationError(
        f"The photo has more than {PHOTO_MAX_PIXELS // 1_000_000} megapixels. Please upload a "
        f"smaller copy (about {PHOTO_SIZE}x{PHOTO_SIZE} pixels is plenty)."
    )
    try:
        with Image.open(upload, formats=PHOTO_FORMATS) as image:
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise too_large
            image.draft("RGB", (PHOTO_SIZE, PHOTO_SIZE))  # JPEG: decode at a reduced scale
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                rgba = image.convert("RGBA")
                image = Image.new("RGB", rgba.size, "white")
                image.paste(rgba, mask=rgba.getchannel("A"))
            else:
                image = image.convert("RGB")
            side = min(PHOTO_SIZE, *image.size)
            image = ImageOps.fit(image, (side, side), method=Image.Resampling.LANCZOS)
            clean = Image.new("RGB", image.size)  # a fresh image: nothing of the file's info
            clean.paste(image)
            out = io.BytesIO()
            clean.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True, progressive=True)
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise too_large from None
    except Exception:  # Pillow raises many kinds of error on a damaged or crafted file
        raise ValidationError(
            "The photo could not be read. Upload a JPEG, PNG or WebP image."
        ) from None
    return PreparedPhoto(out.getvalue(), name=f"{secrets.token_hex(8)}.jpg")


def _photo_file_delete(storage, name: str) -> None:
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def person_photo_set(*, person: Person, photo) -> Person:
    """Give a saved person a new photo (an upload, or a PreparedPhoto), or none (photo=None).

    The upload is checked and re-encoded by photo_prepare; a refusal changes nothing. The
    file it replaces is deleted once the change is committed.
    """
    if photo is not None and not isinstance(photo, PreparedPhoto):
        photo = photo_prepare(upload=photo)
    old = Person.objects.filter(pk=person.pk).values_list("photo", flat=True).get()
    if photo is None:
        person.photo = ""
    else:
        person.photo.save(photo.name, photo, save=False)
    person.save(update_fields=["photo"])
    if old and old != person.photo.name:
        _photo_file_delete(person.photo.storage, old)
    return person


def person_photo_file_delete(*, person: Person) -> None:
    """After a person is deleted (in admin, or with their workshop): their photo file too."""
    if person.photo:
        _photo_file_delete(person.photo.storage, person.photo.name)
