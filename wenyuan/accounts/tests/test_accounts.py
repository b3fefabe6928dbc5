from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


def test_register_logs_in_and_hashes_with_argon2():
    client = Client()
    response = client.post(
        reverse("accounts:register"),
        {
            "username": "新读者",
            "password1": "a-long passphrase 9",
            "password2": "a-long passphrase 9",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="新读者")
    assert user.password.startswith("argon2")
    assert client.get(reverse("library:my_uploads")).status_code == 200


def test_register_rejects_weak_passwords():
    response = Client().post(
        reverse("accounts:register"), {"username": "weak", "password1": "123", "password2": "123"}
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="weak").exists()


def test_login_and_logout(user):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "reader", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:settings")).status_code == 200
    assert client.get(reverse("accounts:logout")).status_code == 405  # logging out is a POST
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:settings")).status_code == 302


def test_login_attempts_are_rate_limited(user):
    client = Client()
    for _ in range(5):
        assert (
            client.post(
                reverse("accounts:login"), {"username": "reader", "password": "wrong"}
            ).status_code
            == 200
        )
    blocked = client.post(
        reverse("accounts:login"), {"username": "reader", "password": "correct horse battery"}
    )
    assert blocked.status_code == 429
    assert "尝试" in blocked.content.decode() or "attempts" in blocked.content.decode()


def test_rate_limit_also_guards_the_admin_login(user):
    client = Client()
    for _ in range(6):
        response = client.post("/admin/login/", {"username": "reader", "password": "wrong"})
    assert response.status_code == 429


def test_every_form_needs_a_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    assert (
        client.post(reverse("accounts:login"), {"username": "reader", "password": "x"}).status_code
        == 403
    )
    assert client.post(reverse("accounts:register"), {"username": "x"}).status_code == 403
    client.force_login(user)
    assert client.post(reverse("library:upload"), {}).status_code == 403
    assert client.post(reverse("accounts:settings"), {}).status_code == 403


def test_profile_page_and_settings(user):
    client = Client()
    client.force_login(user)
    client.post(
        reverse("accounts:settings"), {"first_name": "读书人", "email": "", "bio": "爱读书"}
    )
    html = client.get(reverse("accounts:profile", args=["reader"])).content.decode()
    assert "读书人" in html and "爱读书" in html


def test_staff_reach_the_admin(staff, user):
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/library/document/").status_code == 200
    client.force_login(user)
    assert client.get("/admin/library/document/").status_code == 302
