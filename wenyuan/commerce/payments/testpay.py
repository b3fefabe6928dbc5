"""The test provider (测试支付): pays without money, for the demo and the tests.

Off unless ``WENYUAN_TESTPAY`` is true (``wenyuan serve --demo`` turns it on).  Its pay
page says plainly that it is a test; its "pay" button makes a notification signed with
HMAC-SHA256 under a key of its own (``WENYUAN_TESTPAY_KEY``, or one derived from the
secret key) and hands it to the same ``notification_handle`` as a real provider's, so it
goes through the same verification, state machine and ledger.  Anyone holding the key
can also POST such a notification to ``/api/payments/testpay/notify``:

    Testpay-Timestamp: <unix seconds>     Testpay-Nonce: <random>
    Testpay-Signature: hex(HMAC-SHA256(key, timestamp + "\\n" + nonce + "\\n" + body + "\\n"))
    {"out_trade_no": "...", "trade_no": "...", "status": "paid", "amount": 1000, "currency": "CNY"}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wenyuan.commerce.payments.base import (
    Ack,
    Checkout,
    NotificationRefused,
    PaymentReport,
    PaymentState,
    provider_register,
)
from wenyuan.commerce.payments.crypto import hmac_equal, hmac_sha256_hex, timestamp_fresh

STATES = {"paid": PaymentState.PAID, "closed": PaymentState.CLOSED}


def signed_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"


class TestPay:
    name = "testpay"
    is_test = True
    __test__ = False  # not a pytest test class

    def __init__(self, *, key: bytes):
        self._key = key

    def label(self) -> str:
        return _("Test payment (no real money)")

    def checkout(self, *, order, site_url: str, notify_url: str, return_url: str) -> Checkout:
        return Checkout(pay_url=site_url + reverse("payments:testpay", args=[order.number]))

    def prepare(self, *, order, notify_url: str) -> str:
        return ""

    def notification_sign(self, *, order, status: str = "paid") -> tuple[dict[str, str], bytes]:
        """The notification the test page sends when its payer presses "pay"."""
        body = json.dumps(
            {
                "out_trade_no": order.number,
                "trade_no": "TEST" + secrets.token_hex(8).upper(),
                "status": status,
                "amount": order.amount,
                "currency": order.currency,
            }
        ).encode()
        timestamp, nonce = str(int(time.time())), secrets.token_hex(12)
        signature = hmac_sha256_hex(self._key, signed_message(timestamp, nonce, body))
        headers = {
            "Testpay-Timestamp": timestamp,
            "Testpay-Nonce": nonce,
            "Testpay-Signature": signature,
        }
        return headers, body

    def notification_verify(self, *, headers: Mapping[str, str], body: bytes) -> PaymentReport:
        timestamp = headers.get("Testpay-Timestamp", "")
        nonce = headers.get("Testpay-Nonce", "")
        signature = headers.get("Testpay-Signature", "")
        if not (timestamp and nonce and signature):
            raise NotificationRefused("unsigned")
        expected = hmac_sha256_hex(self._key, signed_message(timestamp, nonce, body))
        if not hmac_equal(signature, expected):
            raise NotificationRefused("bad_signature")
        if not timestamp_fresh(timestamp):
            raise NotificationRefused("stale")
        try:
            fields = json.loads(body)
            state = STATES[fields["status"]]
            number, amount = fields["out_trade_no"], fields["amount"]
        except (ValueError, KeyError, TypeError):
            raise NotificationRefused("malformed") from None
        if not isinstance(number, str) or type(amount) is not int:  # noqa: E721
            raise NotificationRefused("malformed")
        return PaymentReport(
            order_number=number,
            state=state,
            amount=amount,
            currency=str(fields.get("currency", "")),
            trade_no=str(fields.get("trade_no", ""))[:64],
        )

    def order_query(self, *, order) -> PaymentReport | None:
        return None  # there is no one to ask: a test payment exists only as its notification

    def acknowledge(self, *, accepted: bool) -> Ack:
        return Ack(
            200 if accepted else 400, json.dumps({"ok": accepted}).encode(), "application/json"
        )


def _key() -> bytes:
    configured = settings.WENYUAN_TESTPAY["key"]
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"wenyuan.testpay", hashlib.sha256).digest()


def _config() -> tuple:
    return (settings.WENYUAN_TESTPAY["enabled"], settings.WENYUAN_TESTPAY["key"])


def _factory() -> TestPay | None:
    if not settings.WENYUAN_TESTPAY["enabled"]:
        return None
    return TestPay(key=_key())


provider_register(
    "testpay",
    _factory,
    config=_config,
    label=gettext_lazy("Test payment (no real money)"),
    is_test=True,
)
