from django import template

from kb.portal.selectors import SupportHours, support_hours

register = template.Library()


@register.simple_tag
def support_hours_now() -> SupportHours:
    """When the team answers, for the help centre's footer: the same calendar as the SLA clock's."""
    return support_hours()
