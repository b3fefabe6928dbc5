"""Helpers for the accounts tests: reading and solving the CAPTCHA of a page."""

from __future__ import annotations

import re

import pytest


def captcha_key(html: str) -> str | None:
    found = re.search(r'name="captcha_0" value="([0-9a-f]+)"', html)
    return found.group(1) if found else None


def captcha_answer(html: str, *, wrong: bool = False) -> dict:
    """The form fields that answer the page's CAPTCHA, read from the database like a
    person reads the picture (or a wrong answer)."""
    from captcha.models import CaptchaStore

    key = captcha_key(html)
    assert key, "the page shows no CAPTCHA"
    response = CaptchaStore.objects.get(hashkey=key).response
    return {"captcha_0": key, "captcha_1": "wrong1" if wrong else response.upper()}


@pytest.fixture
def fast_passwords(settings):
    """A cheap hasher for tests of the throttles, which fail dozens of log-ins: Argon2
    (tested in test_accounts) costs a third of a second per guess."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
