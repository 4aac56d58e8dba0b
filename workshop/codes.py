"""Join codes: short, easy to read aloud and to type on a phone.

No 0/O or 1/I/L, which people confuse when read off a projector.
"""

import re
import secrets

from django.core.exceptions import ValidationError

JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_MIN, JOIN_CODE_MAX = 4, 6
_CODE_RE = re.compile(rf"^[{JOIN_CODE_ALPHABET}]{{{JOIN_CODE_MIN},{JOIN_CODE_MAX}}}$")


def join_code_normalise(raw: str) -> str:
    """What a person typed, as a code: case and spaces or dashes do not matter."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


def join_code_validate(value: str) -> None:
    if not _CODE_RE.match(value or ""):
        raise ValidationError(
            "A join code has %(min)s to %(max)s characters from A–Z and 2–9, "
            "without O, I or L (they are easily confused with 0 and 1).",
            params={"min": JOIN_CODE_MIN, "max": JOIN_CODE_MAX},
            code="invalid_join_code",
        )


def join_code_random(length: int = 5) -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(length))
