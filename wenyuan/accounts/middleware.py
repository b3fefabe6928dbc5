from __future__ import annotations

from django.shortcuts import render

from wenyuan.accounts.clientip import FORWARDED_HEADERS, peer_is_trusted_proxy
from wenyuan.accounts.counters import RateLimited


class ForwardedHeadersMiddleware:
    """Forget X-Forwarded-* unless the request came through one of WENYUAN_TRUSTED_PROXIES.

    First in the chain, so that Django's SECURE_PROXY_SSL_HEADER (set by WENYUAN_HTTPS)
    and anything else downstream never see a client's own claim to be on HTTPS.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not peer_is_trusted_proxy(request):
            for name in FORWARDED_HEADERS:
                request.META.pop(name, None)
        return self.get_response(request)


class LoginGateMiddleware:
    """A signed-in session whose user a login gate now refuses is signed out at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from wenyuan.accounts.gates import login_refusal

            refusal = login_refusal(user=user)
            if refusal:
                from django.contrib import messages
                from django.contrib.auth import logout

                logout(request)
                messages.error(request, refusal)
        return self.get_response(request)


class RateLimitedMiddleware:
    """A page whose view raised RateLimited answers 429 with Retry-After and a message."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RateLimited):
            return None
        response = render(
            request,
            "accounts/rate_limited.html",
            {"message": exception.message},
            status=429,
        )
        response["Retry-After"] = str(exception.retry_after)
        return response
