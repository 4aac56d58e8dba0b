"""Photos of the people taking part: capped in bytes and pixels, re-encoded without metadata,
stored at a size phones need. Images are generated in memory."""

import io
import os
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from panel.models import Person
from panel.services import PHOTO_SIZE, person_photo_set, photo_prepare
from tests.factories import log_in, make_person, make_workshop
from workshop.services import facilitator_ensure

pytestmark = [
    pytest.mark.security,
    # The over-limit images are refused; Pillow also warns about them as it opens their header.
    pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
]

ARTIST = 0x013B
ORIENTATION = 0x0112


def _image_file(image: Image.Image, fmt: str, name: str, **save) -> SimpleUploadedFile:
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def _camera_jpeg(name="portrait.jpg") -> SimpleUploadedFile:
    """A 600x300 JPEG as a camera stores a portrait shot: sideways, with EXIF orientation 6
    (turn 90 degrees clockwise to show), an author's name and a GPS block. Its left half is
    red and its right half blue, so once turned the top is red and the bottom blue."""
    image = Image.new("RGB", (600, 300), "blue")
    image.paste((255, 0, 0), (0, 0, 300, 300))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[ARTIST] = "Dr Someone"
    exif.get_ifd(0x8825)[2] = (53.0, 28.0, 0.0)  # GPSLatitude
    return _image_file(image, "JPEG", name, exif=exif.tobytes(), quality=95)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _huge_png(width: int, height: int) -> SimpleUploadedFile:
    """A valid 1-bit PNG of width x height, all black: 144 megapixels in a few kilobytes,
    written row by row so the test never holds the image in memory."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed pixels
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )
    return SimpleUploadedFile("huge.png", png, content_type="image/png")


def _noise_png(width=3000, height=1000) -> SimpleUploadedFile:
    """An incompressible PNG of about 9 MB (3 megapixels: only its bytes are over the limit)."""
    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    return _image_file(image, "PNG", "noise.png", compress_level=0)


def _stored(person: Person) -> Image.Image:
    person.refresh_from_db()
    with default_storage.open(person.photo.name) as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


@pytest.fixture
def person(db):
    return make_person(workshop=make_workshop())


# --- The service ------------------------------------------------------------------------------


def test_photo_set_stores_a_square_jpeg_of_phone_size_without_metadata(person):
    upload = _image_file(Image.new("RGB", (2400, 1800), "green"), "PNG", "big.png")

    person_photo_set(person=person, photo=upload)

    stored = _stored(person)
    assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (PHOTO_SIZE, PHOTO_SIZE))
    assert person.photo.name.endswith(".jpg") and "big" not in person.photo.name


def test_photo_set_strips_exif_and_applies_orientation(person):
    person_photo_set(person=person, photo=_camera_jpeg())

    stored = _stored(person)
    top, bottom = stored.getpixel((20, 20)), stored.getpixel((20, 280))
    assert (dict(stored.getexif()), "xmp" in stored.info, stored.size) == ({}, False, (300, 300))
    assert (top[0] > 200 and top[2] < 60, bottom[2] > 200 and bottom[0] < 60) == (True, True)


def test_photo_set_keeps_a_small_photo_small(person):
    person_photo_set(person=person, photo=_image_file(Image.new("L", (80, 100)), "WEBP", "s.webp"))

    assert _stored(person).size == (80, 80)


def test_photo_set_puts_a_transparent_png_on_white(person):
    upload = _image_file(Image.new("RGBA", (64, 64), (0, 0, 0, 0)), "PNG", "clear.png")

    person_photo_set(person=person, photo=upload)

    assert _stored(person).getpixel((32, 32)) == (255, 255, 255)


def test_photo_prepare_refuses_too_many_pixels_before_decoding():
    with pytest.raises(ValidationError) as refused:
        photo_prepare(upload=_huge_png(12000, 12000))
    assert refused.value.messages == [
        "The photo has more than 25 megapixels. Please upload a smaller copy "
        "(about 512x512 pixels is plenty)."
    ]


def test_photo_prepare_refuses_a_decompression_bomb():
    # 40000 x 40000 is over Pillow's own bomb limit: refused with the same message.
    with pytest.raises(ValidationError) as refused:
        photo_prepare(upload=_huge_png(40000, 40000))
    assert "more than 25 megapixels" in refused.value.messages[0]


def test_photo_prepare_refuses_too_many_bytes():
    with pytest.raises(ValidationError) as refused:
        photo_prepare(upload=_noise_png())
    assert refused.value.messages[0].endswith(
        "MB; the limit is 8 MB. Please upload a smaller copy."
    )


@pytest.mark.parametrize(
    "content",
    [
        b"not an image at all",
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # a format Pillow is not to open
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)),
    ],
    ids=["text", "eps", "truncated-png"],
)
def test_photo_prepare_refuses_a_file_that_is_not_a_readable_image(content):
    with pytest.raises(ValidationError) as refused:
        photo_prepare(upload=SimpleUploadedFile("x.png", content))
    assert refused.value.messages == [
        "The photo could not be read. Upload a JPEG, PNG or WebP image."
    ]


def test_photo_set_refused_keeps_the_old_photo(person):
    person_photo_set(person=person, photo=_camera_jpeg())
    before = Person.objects.get(pk=person.pk).photo.name

    with pytest.raises(ValidationError):
        person_photo_set(person=person, photo=_huge_png(12000, 12000))

    assert (Person.objects.get(pk=person.pk).photo.name, default_storage.exists(before)) == (
        before,
        True,
    )


def test_photo_replaced_or_person_deleted_removes_the_file(
    person, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        person_photo_set(person=person, photo=_camera_jpeg())
    first = person.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        person_photo_set(person=person, photo=_camera_jpeg())
    second = person.photo.name
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        person.workshop.delete()

    assert (default_storage.exists(first), default_storage.exists(second)) == (False, False)


# --- Through admin ----------------------------------------------------------------------------


@pytest.fixture
def organiser_client(client, db):
    facilitator_ensure(username="organiser", password="a long organiser pass")
    log_in(client, "organiser", "a long organiser pass")
    return client


def _person_form(workshop, photo, **fields) -> dict:
    data = {
        "workshop": str(workshop.pk),
        "name": "Dr Grace Hopper",
        "role": "panellist",
        "position": "0",
        "job_title": "",
        "organisation": "",
        "perspective": "",
        "bio": "",
        **fields,
    }
    if photo is not None:
        data["photo"] = photo
    return data


def test_admin_adds_a_person_with_a_camera_photo_stored_small_and_clean(organiser_client):
    workshop = make_workshop()

    response = organiser_client.post(
        "/admin/panel/person/add/", _person_form(workshop, _camera_jpeg())
    )

    assert response.status_code == 302
    stored = _stored(Person.objects.get(workshop=workshop))
    assert (stored.format, stored.size, dict(stored.getexif())) == ("JPEG", (300, 300), {})


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: _huge_png(12000, 12000), "more than 25 megapixels"),
        (_noise_png, "the limit is 8 MB"),
        (lambda: SimpleUploadedFile("cv.pdf", b"%PDF-1.4 not a photo"), "could not be read"),
    ],
    ids=["144-megapixels", "9-MB", "not-an-image"],
)
def test_admin_refuses_an_unfit_photo_with_a_form_error(organiser_client, upload, message):
    workshop = make_workshop()

    response = organiser_client.post("/admin/panel/person/add/", _person_form(workshop, upload()))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert (message in errors["photo"][0], Person.objects.filter(workshop=workshop).count()) == (
        True,
        0,
    )


def test_admin_change_replaces_and_clears_the_photo_through_the_service(organiser_client):
    person = make_person(workshop=make_workshop(), name="Dr Grace Hopper")
    url = f"/admin/panel/person/{person.pk}/change/"

    organiser_client.post(url, _person_form(person.workshop, _camera_jpeg()))
    with_photo = _stored(person).size
    organiser_client.post(url, _person_form(person.workshop, None, **{"photo-clear": "on"}))
    person.refresh_from_db()

    assert (with_photo, person.photo.name) == ((300, 300), "")
