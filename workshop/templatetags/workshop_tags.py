from django import template
from django.utils.safestring import mark_safe

from workshop.markdown import markdown_to_safe_html

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    return mark_safe(markdown_to_safe_html(text))


@register.filter
def get_item(mapping, key):
    return mapping.get(key, []) if mapping else []


@register.simple_tag
def upvote_form(code, question, pressed=False):
    from panel.html import upvote_form as build

    return mark_safe(  # built with format_html
        build(code=code, question_id=question.pk, votes=question.votes, pressed=pressed)
    )


@register.simple_tag
def text_box(prefix, text=""):
    from panel.html import text_box as build

    return mark_safe(build(prefix, text or ""))  # built with format_html
