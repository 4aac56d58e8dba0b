import textwrap

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from workshop.content import invented_still
from workshop.markdown import markdown_to_safe_html

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    return mark_safe(markdown_to_safe_html(text))


@register.filter
def shorten(text: str, width: int) -> str:
    """The text cut to at most `width` characters at a word boundary, with "…" when cut
    (Django's truncatechars cuts mid-word: "Primary Car…")."""
    return textwrap.shorten(str(text), width=int(width), placeholder="…")


@register.filter
def get_item(mapping, key):
    return mapping.get(key, []) if mapping else []


@register.simple_tag
def demo_label(obj, *names: str, text: str = "demo content") -> str:
    """ "(demo …)" beside a detail the demo workshop made up (a date, a timing, who presents
    which theme) while it still holds the made-up value, as the demo's venue labels itself
    in its text ("Main hall (demo venue)"). Empty for anything else."""
    if any(invented_still(obj, name) for name in names):
        return format_html(' <span class="demo-label">({})</span>', text)
    return ""
