"""The other side of the payment providers, for tests: keys they generate, notifications
signed the way Alipay and WeChat Pay sign them, and a small real HTTP server that
answers order queries and WeChat's Native order creation like the providers' APIs do.

Written from the providers' documentation and SDKs (python-alipay-sdk, wechatpayv3), not
from Wenyuan's code, so that a mistake on one side is not repeated on the other.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

ALIPAY_APP_ID = "2021000000000001"
ALIPAY_SELLER_ID = "2088000000000001"
WECHAT_MCH_ID = "1900000109"
WECHAT_APP_ID = "wxd678efh567hg6787"
WECHAT_CERT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"


@cache
def rsa_key(name: str) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key per name, generated once per test process."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def public_base64(key: rsa.RSAPrivateKey) -> str:
    """The bare base64 of the public key, as Alipay's console shows 支付宝公钥."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


@cache
def platform_certificate(name: str = "wechat-platform", *, days: int = 365) -> x509.Certificate:
    """A self-signed WeChat Pay platform certificate for ``rsa_key(name)``."""
    key = rsa_key(name)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA test")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )


def certificate_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def serial_of(cert: x509.Certificate) -> str:
    return f"{cert.serial_number:X}"


def sha256_rsa(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def sha256_rsa_ok(key: rsa.RSAPrivateKey, message: bytes, signature: str) -> bool:
    try:
        key.public_key().verify(
            base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256()
        )
        return True
    except (InvalidSignature, ValueError):
        return False


APIV3_KEY = "0123456789abcdefghijklmnopqrstuv"  # 32 characters, as WeChat Pay issues them
TESTPAY_KEY = "the test provider's key for the tests"


def provider_env(gateway_base: str, *, key_file_dir=None) -> dict[str, str]:
    """Environment variables configuring all three providers with the test keys."""
    env = {
        "WENYUAN_ALIPAY_APP_ID": ALIPAY_APP_ID,
        "WENYUAN_ALIPAY_PRIVATE_KEY": private_pem(rsa_key("alipay-app")),
        "WENYUAN_ALIPAY_PUBLIC_KEY": public_base64(rsa_key("alipay")),
        "WENYUAN_ALIPAY_SELLER_ID": ALIPAY_SELLER_ID,
        "WENYUAN_ALIPAY_GATEWAY": f"{gateway_base}/gateway.do",
        "WENYUAN_WECHATPAY_MCH_ID": WECHAT_MCH_ID,
        "WENYUAN_WECHATPAY_APP_ID": WECHAT_APP_ID,
        "WENYUAN_WECHATPAY_PRIVATE_KEY": private_pem(rsa_key("wechat-merchant")),
        "WENYUAN_WECHATPAY_CERT_SERIAL": WECHAT_CERT_SERIAL,
        "WENYUAN_WECHATPAY_APIV3_KEY": APIV3_KEY,
        "WENYUAN_WECHATPAY_PLATFORM_CERTS": certificate_pem(platform_certificate()),
        "WENYUAN_WECHATPAY_API_BASE": gateway_base,
        "WENYUAN_TESTPAY": "true",
        "WENYUAN_TESTPAY_KEY": TESTPAY_KEY,
    }
    if key_file_dir is not None:  # the _FILE variant, as a secret manager would mount it
        path = key_file_dir / "alipay_app_key.pem"
        path.write_text(env.pop("WENYUAN_ALIPAY_PRIVATE_KEY"))
        env["WENYUAN_ALIPAY_PRIVATE_KEY_FILE"] = str(path)
    return env


def provider_settings(gateway_base: str = "http://127.0.0.1:9") -> dict:
    """The same configuration as Django settings, for tests in the test process."""
    env = provider_env(gateway_base)
    return {
        "WENYUAN_ALIPAY": {
            "app_id": env["WENYUAN_ALIPAY_APP_ID"],
            "private_key": env["WENYUAN_ALIPAY_PRIVATE_KEY"],
            "public_key": env["WENYUAN_ALIPAY_PUBLIC_KEY"],
            "seller_id": env["WENYUAN_ALIPAY_SELLER_ID"],
            "gateway": env["WENYUAN_ALIPAY_GATEWAY"],
        },
        "WENYUAN_WECHATPAY": {
            "mch_id": WECHAT_MCH_ID,
            "app_id": WECHAT_APP_ID,
            "private_key": env["WENYUAN_WECHATPAY_PRIVATE_KEY"],
            "cert_serial": WECHAT_CERT_SERIAL,
            "apiv3_key": APIV3_KEY,
            "platform_certs": env["WENYUAN_WECHATPAY_PLATFORM_CERTS"],
            "public_key": "",
            "public_key_id": "",
            "api_base": gateway_base,
        },
        "WENYUAN_TESTPAY": {"enabled": True, "key": TESTPAY_KEY},
    }


# -- Alipay -----------------------------------------------------------------------------


def alipay_content(params: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type"))


def alipay_notification(
    order_number: str,
    total_amount: str,
    *,
    trade_status: str = "TRADE_SUCCESS",
    key: rsa.RSAPrivateKey | None = None,
    app_id: str = ALIPAY_APP_ID,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """An asynchronous notification's parameters, signed like Alipay signs them."""
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    params = {
        "gmt_create": now,
        "gmt_payment": now,
        "notify_time": now,
        "charset": "utf-8",
        "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16),
        "app_id": app_id,
        "auth_app_id": app_id,
        "out_trade_no": order_number,
        "trade_no": "2026" + secrets.token_hex(12),
        "trade_status": trade_status,
        "total_amount": total_amount,
        "receipt_amount": total_amount,
        "buyer_pay_amount": total_amount,
        "buyer_id": "2088102177846880",
        "seller_id": ALIPAY_SELLER_ID,
        "subject": "文渊充值",
        "fund_bill_list": json.dumps([{"amount": total_amount, "fundChannel": "ALIPAYACCOUNT"}]),
        "version": "1.0",
        **(extra or {}),
    }
    params["sign"] = sha256_rsa(key or rsa_key("alipay"), alipay_content(params).encode())
    params["sign_type"] = "RSA2"
    return params


def form(params: dict[str, str]) -> bytes:
    return urlencode(params).encode()


# -- WeChat Pay -------------------------------------------------------------------------


def wechat_transaction(order_number: str, total: int, **changes) -> dict:
    transaction = {
        "mchid": WECHAT_MCH_ID,
        "appid": WECHAT_APP_ID,
        "out_trade_no": order_number,
        "transaction_id": "4200" + secrets.token_hex(12),
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {
            "total": total,
            "payer_total": total,
            "currency": "CNY",
            "payer_currency": "CNY",
        },
    }
    for name, value in changes.items():
        if name in ("currency", "total"):
            transaction["amount"][name] = value
        else:
            transaction[name] = value
    return transaction


def wechat_signed(
    body: bytes,
    *,
    key: rsa.RSAPrivateKey | None = None,
    serial: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers WeChat Pay signs a notification or an answer with."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    message = f"{stamp}\n{nonce}\n".encode() + body + b"\n"
    return {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": sha256_rsa(key or rsa_key("wechat-platform"), message),
        "Wechatpay-Serial": serial or serial_of(platform_certificate()),
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def wechat_notification(
    transaction: dict, *, apiv3_key: str = APIV3_KEY, **sign
) -> tuple[dict[str, str], bytes]:
    """A payment notification: the transaction AES-256-GCM encrypted, the body signed."""
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat Pay sends
    associated = "transaction"
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(transaction, ensure_ascii=False).encode(), associated.encode()
    )
    body = json.dumps(
        {
            "id": str(uuid.uuid4()),
            "create_time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": associated,
                "nonce": nonce,
            },
        },
        ensure_ascii=False,
    ).encode()
    headers = {**wechat_signed(body, **sign), "Content-Type": "application/json"}
    return headers, body


# -- the test provider ------------------------------------------------------------------


def testpay_notification(
    order_number: str, amount: int, *, key: str = TESTPAY_KEY, currency: str = "CNY"
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(
        {
            "out_trade_no": order_number,
            "trade_no": "T" + secrets.token_hex(6),
            "status": "paid",
            "amount": amount,
            "currency": currency,
        }
    ).encode()
    stamp, nonce = str(int(time.time())), secrets.token_hex(8)
    message = f"{stamp}\n{nonce}\n".encode() + body + b"\n"
    signature = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
    return {
        "Testpay-Timestamp": stamp,
        "Testpay-Nonce": nonce,
        "Testpay-Signature": signature,
        "Content-Type": "application/json",
    }, body


# -- a small server playing both providers' APIs ----------------------------------------


@dataclass
class FakeProviders:
    """Trades the providers know (set by tests), and every request they received."""

    alipay: dict[str, dict] = field(default_factory=dict)  # out_trade_no -> response fields
    wechat: dict[str, dict] = field(default_factory=dict)  # out_trade_no -> transaction
    seen: list[tuple[str, str, bool]] = field(default_factory=list)  # (method, path, signed ok)
    base: str = ""

    def paths(self) -> list[str]:
        return [path for _method, path, _ok in self.seen]


def _wechat_authorization_ok(header: str, method: str, target: str, body: bytes) -> bool:
    scheme, _, rest = header.partition(" ")
    if scheme != "WECHATPAY2-SHA256-RSA2048":
        return False
    fields = {}
    for part in rest.split(","):
        name, _, value = part.partition("=")
        fields[name.strip()] = value.strip().strip('"')
    if fields.get("mchid") != WECHAT_MCH_ID or fields.get("serial_no") != WECHAT_CERT_SERIAL:
        return False
    message = f"{method}\n{target}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n"
    return sha256_rsa_ok(
        rsa_key("wechat-merchant"), message.encode() + body + b"\n", fields.get("signature", "")
    )


def _handler(state: FakeProviders):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None):
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self):  # noqa: N802
            body = self._body()
            if self.path.startswith("/gateway.do"):
                return self._alipay(body)
            if self.path == "/v3/pay/transactions/native":
                return self._wechat_native(body)
            self._send(404, b"{}")

        def do_GET(self):  # noqa: N802
            if self.path.startswith("/v3/pay/transactions/out-trade-no/"):
                return self._wechat_query()
            self._send(404, b"{}")

        def _alipay(self, body: bytes):
            params = dict(parse_qsl(body.decode()))
            ok = params.get("app_id") == ALIPAY_APP_ID and sha256_rsa_ok(
                rsa_key("alipay-app"), alipay_content(params).encode(), params.get("sign", "")
            )
            state.seen.append(("POST", "/gateway.do:" + params.get("method", ""), ok))
            if not ok:
                inner = {
                    "code": "40002",
                    "msg": "Invalid Arguments",
                    "sub_code": "isv.invalid-signature",
                }
                return self._send(200, json.dumps({"error_response": inner}).encode())
            number = json.loads(params["biz_content"])["out_trade_no"]
            trade = state.alipay.get(number)
            if trade is None:
                inner = {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ.TRADE_NOT_EXIST",
                    "sub_msg": "交易不存在",
                }
            else:
                inner = {"code": "10000", "msg": "Success", "out_trade_no": number, **trade}
            text = json.dumps(inner, ensure_ascii=False, separators=(",", ":"))
            signature = sha256_rsa(rsa_key("alipay"), text.encode())
            document = f'{{"alipay_trade_query_response":{text},"sign":"{signature}"}}'
            self._send(200, document.encode())

        def _wechat_native(self, body: bytes):
            ok = _wechat_authorization_ok(
                self.headers.get("Authorization", ""), "POST", self.path, body
            )
            state.seen.append(("POST", self.path, ok))
            if not ok:
                return self._send(401, b'{"code":"SIGN_ERROR","message":"bad signature"}')
            number = json.loads(body)["out_trade_no"]
            answer = json.dumps({"code_url": f"weixin://wxpay/bizpayurl?pr={number[-8:]}"}).encode()
            self._send(200, answer, wechat_signed(answer))

        def _wechat_query(self):
            ok = _wechat_authorization_ok(
                self.headers.get("Authorization", ""), "GET", self.path, b""
            )
            state.seen.append(("GET", self.path, ok))
            if not ok:
                return self._send(401, b'{"code":"SIGN_ERROR","message":"bad signature"}')
            number = urlsplit(self.path).path.rsplit("/", 1)[-1]
            transaction = state.wechat.get(number)
            if transaction is None:
                return self._send(404, b'{"code":"ORDER_NOT_EXIST","message":"no such order"}')
            answer = json.dumps(transaction, ensure_ascii=False).encode()
            self._send(200, answer, wechat_signed(answer))

    return Handler


class FakeProviderServer:
    """``with FakeProviderServer() as fake:`` serves on 127.0.0.1 until the block ends."""

    def __enter__(self) -> FakeProviders:
        self.state = FakeProviders()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.state.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.state

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
