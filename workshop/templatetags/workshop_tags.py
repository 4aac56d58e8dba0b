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
