from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from wenyuan.accounts.tests.conftest import captcha_answer, captcha_key

pytestmark = pytest.mark.django_db


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


def test_failed_logins_bring_a_captcha_and_the_right_answer_still_logs_in(user):
    client = Client()
    for _ in range(5):  # WENYUAN_LOGIN_RATE is 5/1m in the tests
        response = client.post(reverse("accounts:login"), {"username": "reader", "password": "x"})
        assert response.status_code == 200
    html = response.content.decode()
    assert captcha_key(html), "after the fifth failure the form asks for a CAPTCHA"
    without = client.post(
        reverse("accounts:login"), {"username": "reader", "password": "correct horse battery"}
    )
    assert without.status_code == 200 and "_auth_user_id" not in client.session
    assert "图片中的字符" in without.content.decode()
    solved = client.post(
        reverse("accounts:login"),
        {
            "username": "reader",
            "password": "correct horse battery",
            **captcha_answer(without.content.decode()),
        },
    )
    assert solved.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_admin_login_is_the_same_throttled_view(user):
    client = Client()
    for _ in range(6):
        response = client.post("/admin/login/", {"username": "reader", "password": "wrong"})
    assert response.status_code == 200
    assert captcha_key(response.content.decode())


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


def test_the_log_in_page_names_the_site_not_the_host():
    html = Client().get(reverse("accounts:login")).content.decode()
    assert "<title>登录 · 文渊</title>" in html
