"""Calls to a provider's API: bounded in time and size, no redirects, errors as values.

Only ``order_query`` and WeChat's Native ``prepare`` call out, never import or order
creation; the base addresses are settings (``WENYUAN_ALIPAY_GATEWAY``,
``WENYUAN_WECHATPAY_API_BASE``), so tests point them at a small server of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from wenyuan.commerce.payments.base import PROVIDER_TIMEOUT_SECONDS, ProviderUnavailable

MAX_ANSWER_BYTES = 256 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def provider_call(
    method: str, url: str, *, headers: dict[str, str] | None = None, data: bytes | None = None
) -> Answer:
    """One HTTP request; ``ProviderUnavailable`` when there is no usable answer."""
    try:
        with requests.request(
            method,
            url,
            headers=headers,
            data=data,
            timeout=PROVIDER_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            body = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
            if len(body) > MAX_ANSWER_BYTES:
                raise ProviderUnavailable("answer_too_large", url)
            return Answer(
                response.status_code, {k.lower(): v for k, v in response.headers.items()}, body
            )
    except requests.RequestException as exc:
        raise ProviderUnavailable("unreachable", f"{url}: {type(exc).__name__}") from None
