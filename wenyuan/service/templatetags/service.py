from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def hours_human(hours):
    """3.5 -> "3.5 小时"; 0.2 -> "12 分钟"; 50 -> "2.1 天"; None -> "—"."""
    if hours is None:
        return "—"
    hours = float(hours)
    if hours < 1:
        return _("%(n)s min") % {"n": max(round(hours * 60), 0)}
    if hours < 48:
        return _("%(n)s h") % {"n": f"{hours:.1f}"}
    return _("%(n)s days") % {"n": f"{hours / 24:.1f}"}
