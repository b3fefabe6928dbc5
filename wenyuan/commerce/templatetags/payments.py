"""Template filters for money: ``{{ order.amount|yuan }}`` writes fen as yuan (12.34)."""

from django import template

from wenyuan.commerce.payments.amounts import yuan_text

register = template.Library()


@register.filter
def yuan(fen) -> str:
    try:
        return yuan_text(int(fen))
    except (TypeError, ValueError):
        return ""
