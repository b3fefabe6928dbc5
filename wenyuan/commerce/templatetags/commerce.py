"""Template tags for the pieces commerce adds to other apps' pages (the document page)."""

from django import template

from wenyuan.commerce import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def document_purchase(context, document):
    """The signed-in user's purchase of ``document`` in force, or None."""
    user = context.get("user")
    if not (user and user.is_authenticated and document.price):
        return None
    return selectors.purchase_of_user(user=user, document_id=document.pk)


@register.simple_tag(takes_context=True)
def vip_status(context):
    """The signed-in user's VIP membership (``selectors.VipStatus``)."""
    return selectors.vip_status(user=context.get("user"))


@register.simple_tag
def document_vip_free(document):
    from wenyuan.library.selectors import document_vip_free as vip_free

    return bool(document.price) and vip_free(document=document)
