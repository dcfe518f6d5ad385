from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from kb.portal.selectors import SupportHours, support_hours

register = template.Library()


@register.simple_tag
def support_hours_now() -> SupportHours:
    """When the team answers, for the help centre's footer: the same calendar as the SLA clock's."""
    return support_hours()


# The symbols of static/icons.svg that a category may name as its icon.
CATEGORY_ICONS = frozenset({"box", "card", "return", "lock", "tools", "chat", "question", "star", "check"})
# What the first seeded help centers stored, before categories named their icons.
_LEGACY_EMOJI = {"📦": "box", "💳": "card", "↩️": "return", "↩": "return", "🔐": "lock", "🛠️": "tools", "🛠": "tools"}


@register.simple_tag
def category_icon(icon: str, css_class: str = "kb-card-icon") -> str:
    """An icon of static/icons.svg, drawn in SVG (an emoji needs an emoji font, and
    shows as an empty box without one). Anything else shows as the text it is."""
    name = _LEGACY_EMOJI.get(icon, icon)
    if name in CATEGORY_ICONS:
        return format_html(
            '<svg class="{}" aria-hidden="true"><use href="{}#{}"/></svg>', css_class, static("icons.svg"), name
        )
    return format_html('<span class="{}" aria-hidden="true">{}</span>', css_class, icon) if icon else ""
