"""The payment provider interface, its values, and the registry with ``get_provider()``.

A provider turns a top-up order into what the payer needs (``checkout``), turns a
notification it sent into a ``PaymentReport`` or refuses it (``notification_verify``),
asks about an order (``order_query``) and words the answer it expects
(``acknowledge``).  Everything about money and state is decided elsewhere, in
``payments.services``, the same way for every provider.

Built-ins (``alipay``, ``wechat``, ``testpay``) are registered like any other provider
(``provider_register``).  A factory returns None when its provider is not configured:
the provider is then off, the top-up page says so, and its notify URL answers 404.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

log = logging.getLogger("wenyuan.payments")

# How far a signed timestamp may be from our clock (WeChat Pay asks for five minutes).
TIMESTAMP_WINDOW_SECONDS = 300
# Requests to a provider's API (creating a QR payment, querying an order) give up after this.
PROVIDER_TIMEOUT_SECONDS = 10


class PaymentState:
    PAID = "paid"  # the money was received
    CLOSED = "closed"  # the provider closed the trade unpaid
    PENDING = "pending"  # nothing happened yet


@dataclass(frozen=True)
class PaymentReport:
    """What a verified notification (or an order query) says about one of our orders."""

    order_number: str
    state: str  # PaymentState
    amount: int | None = None  # fen, as the provider reports it
    currency: str = ""
    trade_no: str = ""  # the provider's own number for the payment


@dataclass(frozen=True)
class Checkout:
    """What the payer needs: a page to go to (``pay_url``) and/or a QR code's content."""

    pay_url: str = ""
    qr_code: str = ""


@dataclass(frozen=True)
class Ack:
    """The HTTP answer a provider expects to a notification."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class PaymentError(Exception):
    """Base of the provider errors; ``code`` is stable, for logs and tests."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail = code, detail


class NotificationRefused(PaymentError):
    """A notification that is not provably from the provider, or not about a payment we
    can accept: bad or missing signature, stale timestamp, wrong merchant, garbled body."""


class ProviderUnavailable(PaymentError):
    """The provider's API could not be reached or gave an answer we cannot trust."""


@runtime_checkable
class PaymentProvider(Protocol):
    name: str  # "alipay"; also the notify URL's segment and the clearing account's
    is_test: bool  # the test provider: no real money

    def label(self) -> str:
        """The name shown to payers, translated."""

    def checkout(self, *, order, site_url: str, notify_url: str, return_url: str) -> Checkout:
        """What the payer needs to pay ``order``.  Must not call the network."""

    def prepare(self, *, order, notify_url: str) -> str:
        """A QR code's content for ``order`` (WeChat Native asks its API); "" if none."""

    def notification_verify(self, *, headers: Mapping[str, str], body: bytes) -> PaymentReport:
        """The notification's report, or ``NotificationRefused``."""

    def order_query(self, *, order) -> PaymentReport | None:
        """Ask the provider about ``order`` (None: it knows no payment); may raise
        ``ProviderUnavailable``."""

    def acknowledge(self, *, accepted: bool) -> Ack:
        """The answer to a notification: accepted (also a replay) or not."""


# name -> factory; a factory returns None when its provider is not configured (off) and
# raises ConfigError when it is configured wrongly (then it is off too, and the system
# check ``wenyuan.E010`` says why).
ProviderFactory = Callable[[], "PaymentProvider | None"]


@dataclass(frozen=True)
class _Registered:
    factory: ProviderFactory
    config: Callable[[], object]
    label: object  # a lazy translation
    is_test: bool


_registry: dict[str, _Registered] = {}
_cache: dict[str, tuple[object, PaymentProvider | None]] = {}
_lock = threading.Lock()


def provider_register(
    name: str,
    factory: ProviderFactory,
    *,
    config: Callable[[], object],
    label,
    is_test: bool = False,
) -> None:
    """Register a provider.  ``config()`` returns what its factory reads: the provider is
    built again when that changes (tests, reloads); ``label`` is shown even when it is off
    (except for a test provider, which is not offered at all then)."""
    _registry[name] = _Registered(factory, config, label, is_test)
    _cache.pop(name, None)


def provider_names() -> list[str]:
    return list(_registry)


def provider_label(name: str) -> str:
    return str(_registry[name].label) if name in _registry else name


def provider_is_test(name: str) -> bool:
    return name in _registry and _registry[name].is_test


def _build(name: str) -> PaymentProvider | None:
    from wenyuan.config import ConfigError

    try:
        return _registry[name].factory()
    except ConfigError as exc:
        log.error("payment provider %s is misconfigured and off: %s", name, exc)
        return None


def get_provider(name: str) -> PaymentProvider | None:
    """The provider called ``name`` if it is registered and configured, else None."""
    registered = _registry.get(name)
    if registered is None:
        return None
    config = registered.config()
    with _lock:
        cached = _cache.get(name)
        if cached is not None and cached[0] == config:
            return cached[1]
    provider = _build(name)
    with _lock:
        _cache[name] = (config, provider)
    return provider


def providers_all() -> list[tuple[str, PaymentProvider | None]]:
    """Every registered provider's name with the provider, or None where it is off."""
    return [(name, get_provider(name)) for name in _registry]


def provider_problems() -> list[tuple[str, str]]:
    """(name, what is wrong) for every provider that is configured but cannot work."""
    from wenyuan.config import ConfigError

    problems = []
    for name, registered in _registry.items():
        try:
            registered.factory()
        except ConfigError as exc:
            problems.append((name, str(exc)))
    return problems
