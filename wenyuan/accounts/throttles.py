"""The site's rate limits: log-in, registration, uploads, password changes, downloads and
page images.

Each rule is decided here and nowhere else; the log-in page, Django's admin log-in (the
same view), the API's token endpoint, registration on the page and through the API, both
upload entry points, every download entry point and both page-image entry points call
these functions. The policy is written down in
docs/security.md. Every limit counts the normalised identity (``username_identity``) and
the client address as ``clientip`` decides it; there is no global log-in counter.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wenyuan.accounts.clientip import address_bucket, client_ip
from wenyuan.accounts.counters import (
    Count,
    RateLimited,
    counter_add,
    counter_get,
    counter_take,
)
from wenyuan.accounts.devices import device_id, device_remember
from wenyuan.accounts.identity import username_identity

COOLDOWN_BASE = 15  # seconds: the API's first wait once over WENYUAN_LOGIN_RATE, doubling


def wait_text(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _address(request) -> str:
    return address_bucket(client_ip(request))


def _limited(message: str, seconds: int, code: str = "rate_limited") -> RateLimited:
    return RateLimited(message % {"wait": wait_text(seconds)}, seconds, code)


# Log-in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginGate:
    """What one log-in attempt must pass before its password is checked."""

    identity: str
    address: str
    device: str | None  # a trusted device id for this account, or None
    captcha: bool  # the page must ask for a CAPTCHA
    wait: int  # seconds the API client must wait first (0: go ahead)


def _cooldown(count: Count, limit: int, period: int, now: float) -> int:
    """The API's growing wait: 15 s after the limit is reached, doubling with each
    further failure, never longer than the period."""
    if count.count < limit:
        return 0
    step = min(period, COOLDOWN_BASE * 2 ** min(count.count - limit, 16))
    return max(0, math.ceil(count.touched + step - now))


def login_captcha_shown(*, request) -> bool:
    """Whether the log-in page asks for a CAPTCHA before anyone typed a name: only when
    this address has failed too often (the account is not known yet)."""
    limit, period = settings.WENYUAN_LOGIN_RATE
    return (
        counter_get(scope="login-fail-address", subject=_address(request), period=period).count
        >= limit
    )


def login_attempt_check(*, request, username: str) -> LoginGate:
    """Count one log-in attempt and say what it must pass; raises RateLimited when this
    address is flooding (WENYUAN_LOGIN_ADDRESS_RATE), unless the attempt comes from a
    trusted known device of the account."""
    gate = login_gate_read(request=request, identity=username_identity(username))
    if gate.device is None:
        attempt = counter_take(
            scope="login-address", subject=gate.address, rate=settings.WENYUAN_LOGIN_ADDRESS_RATE
        )
        if not attempt.ok:
            raise _limited(
                _("Too many log-in attempts from your network. Please try again in %(wait)s."),
                attempt.retry_after,
            )
    return gate


def login_gate_read(*, request, identity: str) -> LoginGate:
    """The gate for an account from this request, read without counting anything.

    A known device of the account that has not failed too often itself passes freely: no
    CAPTCHA, no wait, whatever strangers did to the account or from the same address.
    """
    address = _address(request)
    limit, period = settings.WENYUAN_LOGIN_RATE
    device = device_id(request=request, identity=identity)
    if device:
        if counter_get(scope="login-fail-device", subject=device, period=period).count < limit:
            return LoginGate(identity, address, device, captcha=False, wait=0)
        device = None  # wrong passwords from this "known" device: a stolen cookie
    now = time.time()
    by_address = counter_get(scope="login-fail-address", subject=address, period=period)
    by_account = counter_get(scope="login-fail-account", subject=identity, period=period)
    return LoginGate(
        identity,
        address,
        None,
        captcha=by_address.count >= limit or by_account.count >= limit,
        wait=max(
            _cooldown(by_address, limit, period, now), _cooldown(by_account, limit, period, now)
        ),
    )


def login_wait_refuse(*, gate: LoginGate) -> None:
    """The API's answer to an attempt made too soon: 429 with how long to wait."""
    if gate.wait:
        raise _limited(
            _("Too many failed log-ins for this account. Please try again in %(wait)s."),
            gate.wait,
        )


def login_attempt_failed(*, gate: LoginGate) -> None:
    """A wrong password: counted for the address and the account, and for the device when
    it is a known one. The account's and the address's counts never slow a trusted known
    device, so strangers cannot lock the owner out; a stolen device cookie is distrusted
    after its own few failures, and by then its guesses have counted for the account too.
    """
    _limit, period = settings.WENYUAN_LOGIN_RATE
    if gate.device:
        counter_add(scope="login-fail-device", subject=gate.device, period=period)
    counter_add(scope="login-fail-address", subject=gate.address, period=period)
    counter_add(scope="login-fail-account", subject=gate.identity, period=period)


def login_attempt_succeeded(*, gate: LoginGate, request, response) -> None:
    device_remember(request=request, response=response, identity=gate.identity)


# Registration ---------------------------------------------------------------------------


def registration_captcha_shown(*, request) -> bool:
    after = settings.WENYUAN_REGISTER_CAPTCHA_AFTER
    _limit, period = settings.WENYUAN_REGISTER_RATE
    count = counter_get(scope="register-address", subject=_address(request), period=period)
    return after == 0 or count.count >= after


def registration_check(*, request) -> bool:
    """Count one registration attempt; True when it must come with a CAPTCHA. Raises
    RateLimited over the per-address limit or while the whole site is over its own."""
    attempt = counter_take(
        scope="register-address", subject=_address(request), rate=settings.WENYUAN_REGISTER_RATE
    )
    if not attempt.ok:
        raise _limited(
            _("Too many registrations from your network. Please try again in %(wait)s."),
            attempt.retry_after,
        )
    limit, period = settings.WENYUAN_REGISTER_GLOBAL_RATE
    site = counter_get(scope="register-site", subject="", period=period)
    if site.count >= limit:
        raise _limited(
            _("Too many new accounts right now. Please try again in %(wait)s."),
            site.seconds_left(limit),
        )
    after = settings.WENYUAN_REGISTER_CAPTCHA_AFTER
    return after == 0 or attempt.count.count > after


def registration_check_api(*, request) -> None:
    """The API cannot show a CAPTCHA: where the page would ask for one, it refuses."""
    if registration_check(request=request):
        _limit, period = settings.WENYUAN_REGISTER_RATE
        attempts = counter_get(scope="register-address", subject=_address(request), period=period)
        after = settings.WENYUAN_REGISTER_CAPTCHA_AFTER
        raise _limited(
            _(
                "Too many registrations from your network. Please register on the website, "
                "or try again in %(wait)s."
            ),
            attempts.seconds_left(after) if after else period,
            code="captcha_required",
        )


def registration_done() -> None:
    _limit, period = settings.WENYUAN_REGISTER_GLOBAL_RATE
    counter_add(scope="register-site", subject="", period=period)


# Uploads --------------------------------------------------------------------------------


def upload_rate_check(*, request) -> None:
    """Count the files of this upload request for its user and its address, by number and
    by bytes; raises RateLimited (nothing counted) when any allowance would be exceeded."""
    files = [f for _name, items in request.FILES.lists() for f in items]
    if not files:
        return
    volume = sum(f.size or 0 for f in files)
    count_limit, count_period = settings.WENYUAN_UPLOAD_RATE
    mb_limit, mb_period = settings.WENYUAN_UPLOAD_VOLUME_RATE
    address = _address(request)
    wanted = [
        ("upload-files-user", str(request.user.pk), (count_limit, count_period), len(files)),
        ("upload-files-address", address, (count_limit, count_period), len(files)),
        ("upload-bytes-user", str(request.user.pk), (mb_limit * 2**20, mb_period), volume),
        ("upload-bytes-address", address, (mb_limit * 2**20, mb_period), volume),
    ]
    done = []
    for scope, subject, rate, amount in wanted:
        taken = counter_take(scope=scope, subject=subject, rate=rate, amount=amount)
        if not taken.ok:
            for done_scope, done_subject, done_rate, done_amount in done:
                counter_add(
                    scope=done_scope, subject=done_subject, period=done_rate[1], amount=-done_amount
                )
            message = (
                _("You have uploaded too many files recently. Please try again in %(wait)s.")
                if scope.startswith("upload-files")
                else _("You have uploaded too much data recently. Please try again in %(wait)s.")
            )
            raise _limited(message, taken.retry_after)
        done.append((scope, subject, rate, amount))


# Password changes -----------------------------------------------------------------------


def password_change_check(*, user) -> None:
    """A signed-in session guessing its own old password is stopped like a log-in."""
    limit, period = settings.WENYUAN_LOGIN_RATE
    failures = counter_get(scope="password-fail", subject=str(user.pk), period=period)
    if failures.count >= limit:
        raise _limited(
            _("Too many wrong passwords. Please try again in %(wait)s."),
            failures.seconds_left(limit),
        )


def password_change_failed(*, user) -> None:
    _limit, period = settings.WENYUAN_LOGIN_RATE
    counter_add(scope="password-fail", subject=str(user.pk), period=period)


# Downloads ------------------------------------------------------------------------------


def _subjects(request, user, user_scope: str, address_scope: str) -> list[tuple[str, str]]:
    subjects = [(address_scope, _address(request))]
    if user is not None and user.is_authenticated:
        subjects.insert(0, (user_scope, str(user.pk)))
    return subjects


def _take_all(subjects: list[tuple[str, str]], rate: tuple[int, int], message) -> None:
    """Take one from each subject's allowance, or nothing at all (RateLimited). A subject
    already at its limit is refused by reading alone: hammering costs no writes."""
    limit, period = rate
    for scope, subject in subjects:
        seen = counter_get(scope=scope, subject=subject, period=period)
        if seen.count >= limit:
            raise _limited(message, seen.seconds_left(limit))
    done = []
    for scope, subject in subjects:
        taken = counter_take(scope=scope, subject=subject, rate=rate)
        if not taken.ok:
            for done_scope, done_subject in done:
                counter_add(scope=done_scope, subject=done_subject, period=rate[1], amount=-1)
            raise _limited(message, taken.retry_after)
        done.append((scope, subject))


def download_rate_check(*, request, user) -> None:
    """Count one download request for its user (when signed in) and its address; raises
    RateLimited (nothing counted, no byte sent) over WENYUAN_DOWNLOAD_RATE.

    Every request counts, and it is counted before anything about the document or the
    link is decided: resumed ranges, so a scraper splitting files into ranges gets no more
    than a reader whose download broke a few times; and refused ones (not signed in, not
    entitled, a forged, expired or somebody else's link), so walking download URLs
    without entitlement is throttled like downloading."""
    _take_all(
        _subjects(request, user, "download-user", "download-address"),
        settings.WENYUAN_DOWNLOAD_RATE,
        _("You have downloaded too much recently. Please try again in %(wait)s."),
    )


# Page images ----------------------------------------------------------------------------


def page_image_rate_check(*, request, user) -> None:
    """Count one page-image request: for the user when signed in, else for the client
    address; raises RateLimited over WENYUAN_PAGE_IMAGE_RATE.

    Called before anything else is decided (the token, the document, whether the page is
    free or locked, whether the browser already has it), so free pages, locked pages,
    forged URLs and 304 revalidations all count alike and a refusal says nothing about
    the page. Once over the limit a request is refused by reading the counter alone (no
    write), so a scraper hammering away costs the database reads, not writes."""
    _take_all(
        _subjects(request, user, "page-image-user", "page-image-address")[:1],
        settings.WENYUAN_PAGE_IMAGE_RATE,
        _("Too many page images requested. Please try again in %(wait)s."),
    )
