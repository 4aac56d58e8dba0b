"""Rules for text a person sends (questions, names, views, and any other string in a phone's
message), shared by the forms, the services and the socket layer.

- Text that cannot be encoded as UTF-8 (a lone surrogate such as "\\udfff", which JSON can
  carry as an escape) cannot be stored or sent back to anyone: it is refused.
- Bidi embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) reorder how
  the text around them displays, so a question can show one thing and say another (the
  "Trojan Source" trick): refused. The marks LRM, RLM and ALM, which only nudge the
  direction of neutral characters in Arabic or Hebrew text, are kept.
- Text that is nothing but zero-width characters, bidi marks and spaces shows as an empty
  line on the projector: refused as empty.
Everything else, in any script, is accepted as it is, including emoji sequences joined with
ZWJ (U+200D) and Arabic or Hebrew with LRM/RLM marks.
"""

import unicodedata

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Characters that show nothing on their own, besides format characters (category Cf: ZWSP,
# ZWJ, ZWNJ, word joiner, BOM, bidi marks, tags...) and spaces: Hangul fillers, the braille
# blank, the combining grapheme joiner and the variation selectors.
_BLANK_TOO = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f") | frozenset(
    chr(c) for c in [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)

UNSTORABLE = "{what} contains characters that are not valid text. Please retype it."
BIDI = (
    "{what} contains invisible characters that change the direction of the text "
    "(bidi overrides). Please retype it without them."
)
BLANK = "{what} has no visible characters. Write something first."


def storable(text: str) -> bool:
    """Whether `text` can be encoded as UTF-8 (stored, logged and sent to a browser)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _blank(c: str) -> bool:
    return c.isspace() or unicodedata.category(c) == "Cf" or c in _BLANK_TOO


def text_refusal(text: str, *, what: str) -> str | None:
    """Why `text` is refused (a message for the person who sent it), or None if it is fine.
    `what` names it in the message ("Your question")."""
    if not storable(text):
        return UNSTORABLE.format(what=what)
    if not BIDI_CONTROLS.isdisjoint(text):
        return BIDI.format(what=what)
    if all(_blank(c) for c in text):
        return BLANK.format(what=what)
    return None


def all_storable(value) -> bool:
    """Whether every string in a parsed JSON value (keys included) is storable."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not storable(item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True
