"""WeChat Pay API v3 (微信支付): Native payment (a QR code), as wechatpayv3 does it.

* Our requests carry ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,
  signature=…,timestamp=…,serial_no=…``, the signature being SHA256withRSA with the
  merchant's private key over ``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY\\n``.
* Notifications and answers are signed by WeChat Pay: ``Wechatpay-Signature`` is
  SHA256withRSA over ``TIMESTAMP\\nNONCE\\nBODY\\n`` (``Wechatpay-Timestamp``,
  ``Wechatpay-Nonce``, the body exactly as received), verified with the platform
  certificate or public key that ``Wechatpay-Serial`` names.  The timestamp must be within
  five minutes of our clock, so a recorded notification cannot be replayed later.
* A notification's ``resource`` is AEAD_AES_256_GCM-encrypted with the APIv3 key, its
  ``nonce`` and ``associated_data``; only after it decrypts is its content read, and its
  ``mchid`` and ``appid`` must be ours.
* The answer WeChat Pay expects: HTTP 200 with ``{"code": "SUCCESS", "message": "成功"}``;
  a 4xx/5xx with ``{"code": "FAIL", …}`` makes it notify again later.  (WeChat Pay sends
  probes with deliberately wrong signatures; they are refused like any forgery.)

Creating an order calls nothing: the payer's page asks the API for the QR code's
``code_url`` when it is first shown (``prepare``), and keeps it.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wenyuan.commerce.payments.alipay import CHINA
from wenyuan.commerce.payments.base import (
    Ack,
    Checkout,
    NotificationRefused,
    PaymentError,
    PaymentReport,
    PaymentState,
    ProviderUnavailable,
    provider_register,
)
from wenyuan.commerce.payments.crypto import (
    aes_gcm_decrypt,
    certificates,
    rsa_private_key,
    rsa_public_key,
    rsa_sign,
    rsa_verify,
    timestamp_fresh,
)
from wenyuan.commerce.payments.http import provider_call
from wenyuan.config import ConfigError

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
STATES = {
    "SUCCESS": PaymentState.PAID,
    "CLOSED": PaymentState.CLOSED,
    "REVOKED": PaymentState.CLOSED,
    "PAYERROR": PaymentState.CLOSED,
    "NOTPAY": PaymentState.PENDING,
    "USERPAYING": PaymentState.PENDING,
}


def _header(headers: Mapping[str, str], name: str) -> str:
    return headers.get(name) or headers.get(name.lower()) or ""


def serial_normal(serial: str) -> str:
    """A certificate serial as upper-case hex without leading zeros (WeChat Pay writes
    40 digits; compared as numbers, as wechatpayv3 does); a public key ID as it is."""
    serial = serial.strip().upper()
    if serial and len(serial) <= 64 and all(c in "0123456789ABCDEF" for c in serial):
        return f"{int(serial, 16):X}"
    return serial


def message_to_verify(timestamp: str, nonce: str, body: bytes) -> bytes:
    return timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"


class WechatPay:
    name = "wechat"
    is_test = False

    def __init__(
        self,
        *,
        mch_id: str,
        app_id: str,
        private_key,
        cert_serial: str,
        apiv3_key: bytes,
        platform_keys: dict[str, object],
        api_base: str,
    ):
        self.mch_id, self.app_id, self.cert_serial = mch_id, app_id, cert_serial
        self.api_base = api_base.rstrip("/")
        self._private_key, self._apiv3_key = private_key, apiv3_key
        # Wechatpay-Serial -> (public key, valid from, valid until); serials upper-case.
        self._platform_keys = platform_keys

    def label(self) -> str:
        return _("WeChat Pay")

    # -- signatures -------------------------------------------------------------------

    def _platform_key(self, serial: str):
        entry = self._platform_keys.get(serial_normal(serial))
        if entry is None:
            return None
        key, not_before, not_after = entry
        now = timezone.now()
        if (not_before and now < not_before) or (not_after and now > not_after):
            return None
        return key

    def verified_body(self, headers: Mapping[str, str], body: bytes, *, refuse) -> None:
        """Raise ``refuse`` unless ``body`` carries a fresh, valid platform signature."""
        signature = _header(headers, "Wechatpay-Signature")
        timestamp = _header(headers, "Wechatpay-Timestamp")
        nonce = _header(headers, "Wechatpay-Nonce")
        serial = _header(headers, "Wechatpay-Serial")
        kind = _header(headers, "Wechatpay-Signature-Type") or SCHEMA
        if not (signature and timestamp and nonce and serial):
            raise refuse("unsigned")
        if kind != SCHEMA:
            raise refuse("bad_signature", f"signature type {kind!r}")
        key = self._platform_key(serial)
        if key is None:
            raise refuse("unknown_key", "Wechatpay-Serial names no valid platform key")
        if not timestamp_fresh(timestamp):
            raise refuse("stale", "Wechatpay-Timestamp is outside the window")
        if not rsa_verify(key, message_to_verify(timestamp, nonce, body), signature):
            raise refuse("bad_signature")

    def authorization(self, method: str, path: str, body: str) -> str:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16).upper()
        message = f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n"
        signature = rsa_sign(self._private_key, message.encode())
        return (
            f'{SCHEMA} mchid="{self.mch_id}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{self.cert_serial}"'
        )

    def call(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
        """A signed request to the API; the answer's signature is verified (except for
        errors, which may come unsigned and are never trusted for anything)."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False) if payload else ""
        answer = provider_call(
            method,
            self.api_base + path,
            headers={
                "Authorization": self.authorization(method, path, body),
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
            data=body.encode() or None,
        )
        if 200 <= answer.status < 300:
            self.verified_body(answer.headers, answer.body, refuse=ProviderUnavailable)
        try:
            document = json.loads(answer.body or b"{}")
        except ValueError:
            raise ProviderUnavailable("malformed", "the answer is not JSON") from None
        if not isinstance(document, dict):
            raise ProviderUnavailable("malformed", "the answer is not an object")
        return answer.status, document

    # -- payments ---------------------------------------------------------------------

    def checkout(self, *, order, site_url: str, notify_url: str, return_url: str) -> Checkout:
        # The QR code is shown on our own page, which asks for it once (``prepare``).
        return Checkout(pay_url=return_url)

    def prepare(self, *, order, notify_url: str) -> str:
        expire = timezone.localtime(order.expires_at, CHINA).isoformat(timespec="seconds")
        status, document = self.call(
            "POST",
            "/v3/pay/transactions/native",
            {
                "appid": self.app_id,
                "mchid": self.mch_id,
                "description": _("Wenyuan top-up: %(points)s points") % {"points": order.points},
                "out_trade_no": order.number,
                "time_expire": expire,
                "notify_url": notify_url,
                "amount": {"total": order.amount, "currency": order.currency},
            },
        )
        code_url = document.get("code_url")
        if status != 200 or not isinstance(code_url, str) or not code_url:
            raise ProviderUnavailable("error", f"{status} {document.get('code', '')}")
        return code_url[:300]

    def notification_verify(self, *, headers: Mapping[str, str], body: bytes) -> PaymentReport:
        self.verified_body(headers, body, refuse=NotificationRefused)
        try:
            envelope = json.loads(body)
            resource = envelope["resource"]
            if envelope.get("resource_type") != "encrypt-resource":
                raise ValueError("resource_type")
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise ValueError("algorithm")
            plain = aes_gcm_decrypt(
                key=self._apiv3_key,
                nonce=str(resource["nonce"]),
                ciphertext=str(resource["ciphertext"]),
                associated_data=str(resource.get("associated_data") or ""),
            )
            transaction = json.loads(plain)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise NotificationRefused("malformed", str(exc)[:100]) from None
        return self._report(transaction, refuse=NotificationRefused)

    def _report(self, transaction, *, refuse: type[PaymentError]) -> PaymentReport:
        if not isinstance(transaction, dict):
            raise refuse("malformed", "transaction")
        if transaction.get("mchid") != self.mch_id or transaction.get("appid") != self.app_id:
            raise refuse("wrong_merchant", "mchid/appid")
        state = STATES.get(transaction.get("trade_state", ""))
        number = transaction.get("out_trade_no")
        amount = transaction.get("amount") or {}
        total = amount.get("total") if isinstance(amount, dict) else None
        if state is None or not isinstance(number, str) or not number:
            raise refuse("malformed", "trade_state or out_trade_no")
        if type(total) is not int:  # noqa: E721  (fen are integers; 1.0 or "1" is refused)
            raise refuse("malformed", "amount.total")
        return PaymentReport(
            order_number=number,
            state=state,
            amount=total,
            currency=str(amount.get("currency", "")),
            trade_no=str(transaction.get("transaction_id", ""))[:64],
        )

    def order_query(self, *, order) -> PaymentReport | None:
        status, document = self.call(
            "GET", f"/v3/pay/transactions/out-trade-no/{order.number}?mchid={self.mch_id}"
        )
        if status == 404 or document.get("code") == "ORDER_NOT_EXIST":
            return None
        if status != 200:
            raise ProviderUnavailable("error", f"{status} {document.get('code', '')}")
        report = self._report(document, refuse=ProviderUnavailable)
        if report.order_number != order.number:
            raise ProviderUnavailable("wrong_order", report.order_number)
        return report

    def acknowledge(self, *, accepted: bool) -> Ack:
        if accepted:
            body = {"code": "SUCCESS", "message": "成功"}
            return Ack(200, json.dumps(body, ensure_ascii=False).encode(), "application/json")
        body = {"code": "FAIL", "message": "失败"}
        return Ack(400, json.dumps(body, ensure_ascii=False).encode(), "application/json")


def _platform_keys(conf) -> dict[str, tuple]:
    keys: dict[str, tuple] = {}
    if conf["platform_certs"]:
        for cert in certificates(
            conf["platform_certs"], setting="WENYUAN_WECHATPAY_PLATFORM_CERTS"
        ):
            keys[f"{cert.serial_number:X}"] = (
                cert.public_key(),
                cert.not_valid_before_utc,
                cert.not_valid_after_utc,
            )
    if conf["public_key"] or conf["public_key_id"]:
        if not (conf["public_key"] and conf["public_key_id"]):
            raise ConfigError(
                "WENYUAN_WECHATPAY_PUBLIC_KEY and WENYUAN_WECHATPAY_PUBLIC_KEY_ID go together"
            )
        key = rsa_public_key(conf["public_key"], setting="WENYUAN_WECHATPAY_PUBLIC_KEY")
        keys[serial_normal(conf["public_key_id"])] = (key, None, None)
    return keys


def _config() -> tuple:
    return tuple(sorted(settings.WENYUAN_WECHATPAY.items()))


def _factory() -> WechatPay | None:
    conf = settings.WENYUAN_WECHATPAY
    needed = {
        "WENYUAN_WECHATPAY_MCH_ID": conf["mch_id"],
        "WENYUAN_WECHATPAY_APP_ID": conf["app_id"],
        "WENYUAN_WECHATPAY_PRIVATE_KEY": conf["private_key"],
        "WENYUAN_WECHATPAY_CERT_SERIAL": conf["cert_serial"],
        "WENYUAN_WECHATPAY_APIV3_KEY": conf["apiv3_key"],
    }
    if not any(needed.values()):
        return None
    missing = [name for name, value in needed.items() if not value]
    if missing:
        raise ConfigError(f"WeChat Pay needs {', '.join(missing)} as well")
    apiv3_key = conf["apiv3_key"].encode()
    if len(apiv3_key) != 32:
        raise ConfigError("WENYUAN_WECHATPAY_APIV3_KEY must be 32 characters (AES-256)")
    platform_keys = _platform_keys(conf)
    if not platform_keys:
        raise ConfigError(
            "WeChat Pay needs WENYUAN_WECHATPAY_PLATFORM_CERTS or WENYUAN_WECHATPAY_PUBLIC_KEY "
            "to verify notifications"
        )
    if not conf["api_base"].startswith(("https://", "http://")):
        raise ConfigError("WENYUAN_WECHATPAY_API_BASE must be an http(s) URL")
    return WechatPay(
        mch_id=conf["mch_id"],
        app_id=conf["app_id"],
        private_key=rsa_private_key(conf["private_key"], setting="WENYUAN_WECHATPAY_PRIVATE_KEY"),
        cert_serial=conf["cert_serial"],
        apiv3_key=apiv3_key,
        platform_keys=platform_keys,
        api_base=conf["api_base"],
    )


provider_register("wechat", _factory, config=_config, label=gettext_lazy("WeChat Pay"))
