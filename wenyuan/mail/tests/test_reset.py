"""Password reset and verification in process: rate limits, unverified addresses, a
verification link for an address the account no longer has."""

from __future__ import annotations

import pytest
from django.core import signing

from wenyuan.mail import services
from wenyuan.mail.models import OutboxMail
from wenyuan.mail.views import VERIFY_SALT

pytestmark = pytest.mark.django_db


def test_reset_requests_are_limited_per_client_address(client, user, settings):
    settings.WENYUAN_PASSWORD_RESET_RATE = (2, 3600)
    for _ in range(2):
        reply = client.post("/accounts/password-reset/", {"email": "x@example.com"})
        assert reply.status_code == 302
    reply = client.post("/accounts/password-reset/", {"email": "y@example.com"})
    assert reply.status_code == 429


def test_an_unverified_address_gets_no_reset_mail(client, user):
    user.email = "alice@example.com"
    user.save(update_fields=["email"])
    reply = client.post("/accounts/password-reset/", {"email": "alice@example.com"})
    assert reply.status_code == 302 and reply.url == "/accounts/password-reset/sent/"
    assert not OutboxMail.objects.exists()


def test_a_link_for_a_former_address_verifies_nothing(client, user):
    user.email = "old@example.com"
    user.save(update_fields=["email"])
    token = signing.dumps({"u": user.pk, "e": "old@example.com"}, salt=VERIFY_SALT)
    user.email = "new@example.com"
    user.save(update_fields=["email"])
    assert client.get(f"/accounts/verify/{token}/").status_code == 400
    assert client.get("/accounts/verify/forged-token/").status_code == 400
    assert not services.email_verified(user=user)


def test_an_address_verified_by_another_account_is_refused(client, user, other_user):
    other_user.email = user.email = "shared@example.com"
    other_user.save(update_fields=["email"])
    user.save(update_fields=["email"])
    assert services.email_mark_verified(user=other_user, email="shared@example.com")
    assert not services.email_mark_verified(user=user, email="shared@example.com")
    client.force_login(user)
    reply = client.post(
        "/accounts/settings/email/", {"form": "email", "email": "shared@example.com"}
    )
    assert reply.status_code == 200 and "email" in reply.context["email_form"].errors
