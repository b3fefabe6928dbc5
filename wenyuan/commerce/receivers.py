"""What commerce does when something happens elsewhere (connected from ``ready()``).

* a person registers → the registration reward;
* a user logs in → the browser's share-link visits follow the account too;
* a document is published → its uploader's upload reward (once per document);
* the library asks who may read what → the "purchased" and "vip" entitlement rules
  (after "purchased", so a bought document never uses a member's VIP quota).
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.db import transaction

from wenyuan.accounts.signals import user_registered


def _registered(sender, user, **kwargs):
    from wenyuan.commerce.services import reward_register, reward_safely

    transaction.on_commit(lambda: reward_safely(reward_register, user=user))


def _logged_in(sender, request, user, **kwargs):
    from wenyuan.commerce.services import referral_bind
    from wenyuan.commerce.visitors import visitor_of

    visitor = visitor_of(request) if request is not None else None
    if visitor:
        referral_bind(user=user, visitor=visitor)


def _status_changed(sender, document_id, new, **kwargs):
    from wenyuan.commerce.services import reward_safely, reward_upload
    from wenyuan.library.models import Status

    if new == Status.PUBLISHED:
        reward_safely(reward_upload, document_id=document_id)


def purchased_rule(*, user, ids):
    """The entitlement rule "purchased": the documents this user bought (one query)."""
    from wenyuan.commerce.selectors import documents_purchased

    return documents_purchased(user=user, ids=ids)


def connect() -> None:
    user_registered.connect(_registered, dispatch_uid="commerce-registered")
    user_logged_in.connect(_logged_in, dispatch_uid="commerce-logged-in")
    try:
        from wenyuan.library import entitlements
    except ImportError:  # the entitlement registry is not on this branch yet
        pass
    else:
        if "purchased" not in entitlements.rule_names():
            entitlements.rule_register("purchased", purchased_rule)
        if "vip" not in entitlements.rule_names():
            from wenyuan.commerce.services.vip import vip_download_claim, vip_rule

            entitlements.rule_register("vip", vip_rule, on_download=vip_download_claim)
    try:
        from wenyuan.library.lifecycle import document_status_changed
    except ImportError:  # the document lifecycle is not on this branch yet
        return
    document_status_changed.connect(_status_changed, dispatch_uid="commerce-published")
