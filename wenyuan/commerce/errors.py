"""Refusals of commerce operations: a stable ``code`` for programs, a ``message`` for people.

The API turns one into ``{"error": {"code", "message", ...extra}}`` with its ``status``;
the pages show the message.  Nothing was written when one is raised.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class CommerceError(Exception):
    def __init__(self, code: str, message, *, status: int = 400, **extra):
        super().__init__(str(message))
        self.code, self.message, self.status, self.extra = code, message, status, extra


def insufficient_balance(*, needed: int, balance: int, topup_url: str) -> CommerceError:
    return CommerceError(
        "insufficient_balance",
        _(
            "Your balance is %(balance)s points; this needs %(needed)s. "
            "Top up your wallet and try again."
        )
        % {"balance": balance, "needed": needed},
        status=402,
        needed=needed,
        balance=balance,
        topup_url=topup_url,
    )


def not_for_sale(code: str) -> CommerceError:
    messages = {
        "own_document": _("This is your own document: you can read and download it already."),
        "free_document": _("This document is free: download it directly."),
        "not_published": _("This document is not published, so it cannot be bought."),
        "already_entitled": _("You can already read and download this document."),
    }
    return CommerceError(code, messages[code], status=409)


def not_found() -> CommerceError:
    return CommerceError("not_found", _("Not found."), status=404)


def price_changed(*, price: int) -> CommerceError:
    return CommerceError(
        "price_changed",
        _("The price of this document is now %(price)s points. Please confirm again.")
        % {"price": price},
        status=409,
        price=price,
    )


def key_reused() -> CommerceError:
    return CommerceError(
        "idempotency_key_reused",
        _("This Idempotency-Key was already used for a different request. Use a new key."),
        status=422,
    )


def key_invalid() -> CommerceError:
    return CommerceError(
        "invalid_idempotency_key",
        _("An Idempotency-Key is 1 to 100 visible ASCII characters."),
        status=400,
    )


def invalid(code: str, message) -> CommerceError:
    return CommerceError(code, message, status=400)


def conflict(code: str, message) -> CommerceError:
    return CommerceError(code, message, status=409)


def forbidden(message) -> CommerceError:
    return CommerceError("forbidden", message, status=403)


def unknown_plan() -> CommerceError:
    return CommerceError("unknown_plan", _("There is no such VIP plan."), status=400)
