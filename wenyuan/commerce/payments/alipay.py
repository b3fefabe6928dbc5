"""Alipay (支付宝): computer-website payment (alipay.trade.page.pay), RSA2 signatures.

What is signed, as python-alipay-sdk does it (``BaseAliPay.sign_data`` / ``verify``):
every parameter except ``sign`` and ``sign_type``, sorted by name, joined as
``key=value&key=value`` with the values as they are (not URL-encoded), signed with
SHA256withRSA.  Requests are signed with the app's private key; notifications (a form
POST to the notify URL) and API answers are verified with Alipay's public key.  An API
answer is signed over the exact text of its ``…_response`` object.

Notifications are accepted only when the signature verifies, ``app_id`` is ours (and
``seller_id``, when configured), no parameter is repeated, and the amount parses as
yuan with at most two decimals.  The answer Alipay expects is the text ``success``;
anything else (``failure``) makes it send the notification again later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wenyuan.commerce.payments.amounts import fen_from_yuan, yuan_text
from wenyuan.commerce.payments.base import (
    Ack,
    Checkout,
    NotificationRefused,
    PaymentReport,
    PaymentState,
    ProviderUnavailable,
    provider_register,
)
from wenyuan.commerce.payments.crypto import (
    rsa_private_key,
    rsa_public_key,
    rsa_sign,
    rsa_verify,
)
from wenyuan.commerce.payments.http import provider_call
from wenyuan.config import ConfigError

CHINA = ZoneInfo("Asia/Shanghai")
MAX_FIELDS = 80
STATES = {
    "TRADE_SUCCESS": PaymentState.PAID,
    "TRADE_FINISHED": PaymentState.PAID,
    "TRADE_CLOSED": PaymentState.CLOSED,
    "WAIT_BUYER_PAY": PaymentState.PENDING,
}


def sign_content(params: Mapping[str, str]) -> str:
    """The string Alipay signs: sorted ``key=value`` pairs without sign and sign_type."""
    return "&".join(
        f"{key}={params[key]}" for key in sorted(params) if key not in ("sign", "sign_type")
    )


def _local(moment) -> str:
    return timezone.localtime(moment, CHINA).strftime("%Y-%m-%d %H:%M:%S")


def form_fields(body: bytes) -> dict[str, str]:
    """A form body as a dict; refused when it is not UTF-8, is malformed or repeats a
    name (a repeated name could be read one way by the signature and another by us)."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise NotificationRefused("malformed", "not a UTF-8 form") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise NotificationRefused("malformed", "a parameter is repeated")
    return fields


class Alipay:
    name = "alipay"
    is_test = False

    def __init__(self, *, app_id: str, private_key, public_key, seller_id: str, gateway: str):
        self.app_id, self.seller_id, self.gateway = app_id, seller_id, gateway
        self._private_key, self._public_key = private_key, public_key

    def label(self) -> str:
        return _("Alipay")

    # -- requests ---------------------------------------------------------------------

    def signed_params(self, method: str, biz_content: dict, **extra: str) -> dict[str, str]:
        params = {
            "app_id": self.app_id,
            "method": method,
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": _local(timezone.now()),
            "version": "1.0",
            "biz_content": json.dumps(biz_content, separators=(",", ":"), ensure_ascii=False),
            **{key: value for key, value in extra.items() if value},
        }
        params["sign"] = rsa_sign(self._private_key, sign_content(params).encode())
        return params

    def checkout(self, *, order, site_url: str, notify_url: str, return_url: str) -> Checkout:
        """A signed page-pay URL: computed here, nothing is sent to Alipay."""
        biz = {
            "out_trade_no": order.number,
            "total_amount": yuan_text(order.amount),
            "subject": _("Wenyuan top-up: %(points)s points") % {"points": order.points},
            "product_code": "FAST_INSTANT_TRADE_PAY",
            "time_expire": _local(order.expires_at),
        }
        params = self.signed_params(
            "alipay.trade.page.pay", biz, notify_url=notify_url, return_url=return_url
        )
        return Checkout(pay_url=f"{self.gateway}?{urlencode(params)}")

    def prepare(self, *, order, notify_url: str) -> str:
        return ""

    # -- notifications ----------------------------------------------------------------

    def verified_fields(self, body: bytes) -> dict[str, str]:
        fields = form_fields(body)
        signature = fields.pop("sign", "")
        sign_type = fields.pop("sign_type", "RSA2")
        if not signature:
            raise NotificationRefused("unsigned")
        if sign_type != "RSA2":
            raise NotificationRefused("bad_signature", f"sign_type {sign_type!r}")
        if not rsa_verify(self._public_key, sign_content(fields).encode(), signature):
            raise NotificationRefused("bad_signature")
        if fields.get("app_id") != self.app_id:
            raise NotificationRefused("wrong_merchant", "app_id")
        if self.seller_id and fields.get("seller_id") != self.seller_id:
            raise NotificationRefused("wrong_merchant", "seller_id")
        return fields

    def notification_verify(self, *, headers: Mapping[str, str], body: bytes) -> PaymentReport:
        return self._report(self.verified_fields(body), refuse=NotificationRefused)

    @staticmethod
    def _report(fields: Mapping[str, str], *, refuse) -> PaymentReport:
        state = STATES.get(fields.get("trade_status", ""))
        number = fields.get("out_trade_no", "")
        if state is None or not number:
            raise refuse("malformed", "trade_status or out_trade_no")
        amount = fen_from_yuan(fields.get("total_amount", ""))
        if amount is None:
            raise refuse("malformed", "total_amount")
        return PaymentReport(
            order_number=number,
            state=state,
            amount=amount,
            # Domestic trades are in yuan; a cross-border one names its currency.
            currency=fields.get("trans_currency") or "CNY",
            trade_no=fields.get("trade_no", "")[:64],
        )

    def acknowledge(self, *, accepted: bool) -> Ack:
        if accepted:
            return Ack(200, b"success", "text/plain; charset=utf-8")
        return Ack(400, b"failure", "text/plain; charset=utf-8")

    # -- queries ----------------------------------------------------------------------

    def order_query(self, *, order) -> PaymentReport | None:
        params = self.signed_params("alipay.trade.query", {"out_trade_no": order.number})
        answer = provider_call(
            "POST",
            self.gateway,
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"},
            data=urlencode(params).encode(),
        )
        if answer.status != 200:
            raise ProviderUnavailable("http_status", str(answer.status))
        result = self.verified_answer(answer.body, "alipay_trade_query_response")
        if result.get("code") != "10000":
            if result.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return None
            raise ProviderUnavailable("error", f"{result.get('code')} {result.get('sub_code')}")
        report = self._report(result, refuse=ProviderUnavailable)
        if report.order_number != order.number:
            raise ProviderUnavailable("wrong_order", report.order_number)
        return report

    def verified_answer(self, body: bytes, response_key: str) -> dict:
        """The ``…_response`` object of an API answer, once its signature verifies over
        the object's exact text (located by parsing, not by counting braces)."""
        try:
            text = body.decode("utf-8")
            document = json.loads(text)
            start = text.index("{", text.index(f'"{response_key}"') + len(response_key) + 2)
            result, end = json.JSONDecoder().raw_decode(text, start)
        except (UnicodeDecodeError, ValueError):
            raise ProviderUnavailable("malformed", "the answer is not the JSON expected") from None
        if not isinstance(result, dict) or document.get(response_key) != result:
            raise ProviderUnavailable("malformed", response_key)
        signature = document.get("sign")
        if not isinstance(signature, str) or not rsa_verify(
            self._public_key, text[start:end].encode(), signature
        ):
            # Errors about our request (bad app_id, bad signature) come unsigned.
            raise ProviderUnavailable("bad_signature", str(result.get("sub_code", "")))
        return result


def _config() -> tuple:
    return tuple(sorted(settings.WENYUAN_ALIPAY.items()))


def _factory() -> Alipay | None:
    conf = settings.WENYUAN_ALIPAY
    needed = {
        "WENYUAN_ALIPAY_APP_ID": conf["app_id"],
        "WENYUAN_ALIPAY_PRIVATE_KEY": conf["private_key"],
        "WENYUAN_ALIPAY_PUBLIC_KEY": conf["public_key"],
    }
    if not any(needed.values()):
        return None
    missing = [name for name, value in needed.items() if not value]
    if missing:
        raise ConfigError(f"Alipay needs {', '.join(missing)} as well")
    if not conf["gateway"].startswith(("https://", "http://")):
        raise ConfigError("WENYUAN_ALIPAY_GATEWAY must be an http(s) URL")
    return Alipay(
        app_id=conf["app_id"],
        private_key=rsa_private_key(conf["private_key"], setting="WENYUAN_ALIPAY_PRIVATE_KEY"),
        public_key=rsa_public_key(conf["public_key"], setting="WENYUAN_ALIPAY_PUBLIC_KEY"),
        seller_id=conf["seller_id"],
        gateway=conf["gateway"],
    )


provider_register("alipay", _factory, config=_config, label=gettext_lazy("Alipay"))
