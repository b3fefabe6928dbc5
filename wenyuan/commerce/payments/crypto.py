"""Keys and signatures shared by the providers (``cryptography``; no home-made crypto).

Alipay and WeChat Pay both sign with SHA256withRSA (RSASSA-PKCS1-v1_5 over SHA-256,
base64): what python-alipay-sdk calls RSA2 and wechatpayv3 ``rsa_sign``/``rsa_verify``.
Keys come from settings as PEM or as the bare base64 that the providers' key tools print;
a key that cannot be read stops the provider with the setting's name, never the key.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wenyuan.commerce.payments.base import TIMESTAMP_WINDOW_SECONDS
from wenyuan.config import ConfigError

MIN_RSA_BITS = 2048


def _pem_or_der(text: str) -> tuple[bytes, bool]:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return text.encode(), True
    try:
        return base64.b64decode("".join(text.split()), validate=True), False
    except (binascii.Error, ValueError):
        return b"", False


def _checked(key, setting: str):
    if not isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        raise ConfigError(f"{setting}: an RSA key is needed")
    if key.key_size < MIN_RSA_BITS:
        raise ConfigError(f"{setting}: the RSA key has {key.key_size} bits, at least 2048 needed")
    return key


def rsa_private_key(text: str, *, setting: str) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#8 or PKCS#1) or bare base64 DER."""
    data, pem = _pem_or_der(text)
    try:
        if pem:
            key = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_der_private_key(data, password=None)
    except (ValueError, TypeError):
        raise ConfigError(f"{setting} is not a readable, unencrypted RSA private key") from None
    return _checked(key, setting)


def rsa_public_key(text: str, *, setting: str) -> rsa.RSAPublicKey:
    """An RSA public key from PEM (SubjectPublicKeyInfo, PKCS#1 or a certificate) or
    bare base64 DER (SubjectPublicKeyInfo, as Alipay shows its public key)."""
    data, pem = _pem_or_der(text)
    try:
        if pem and b"CERTIFICATE" in data.split(b"\n", 1)[0]:
            key = x509.load_pem_x509_certificate(data).public_key()
        elif pem:
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_der_public_key(data)
    except (ValueError, TypeError):
        raise ConfigError(f"{setting} is not a readable RSA public key") from None
    return _checked(key, setting)


def certificates(text: str, *, setting: str) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle (one or more)."""
    try:
        found = x509.load_pem_x509_certificates(text.strip().encode())
    except ValueError:
        raise ConfigError(f"{setting} holds no readable PEM certificate") from None
    for cert in found:
        _checked(cert.public_key(), setting)
    return found


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """SHA256withRSA, base64 without line breaks."""
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    """True only for a well-formed base64 SHA256withRSA signature of ``message``."""
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False
    try:
        key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def aes_gcm_decrypt(*, key: bytes, nonce: str, ciphertext: str, associated_data: str) -> bytes:
    """AEAD_AES_256_GCM as WeChat Pay encrypts a notification's ``resource``: the key and
    nonce are the UTF-8 bytes of the APIv3 key and of the nonce string, the ciphertext
    base64 with the 16-byte tag at its end.  Raises ValueError when it does not open."""
    try:
        data = base64.b64decode(ciphertext.encode("ascii"), validate=True)
        return AESGCM(key).decrypt(nonce.encode(), data, associated_data.encode())
    except (binascii.Error, UnicodeEncodeError, InvalidTag) as exc:
        raise ValueError("the resource does not decrypt with the APIv3 key") from exc


def hmac_sha256_hex(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, "sha256").hexdigest()


def hmac_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def timestamp_fresh(value: str, *, now: float | None = None) -> bool:
    """A Unix timestamp (whole seconds, as a string) within the window around now."""
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return False
    now = time.time() if now is None else now
    return abs(now - int(value)) <= TIMESTAMP_WINDOW_SECONDS
