"""Site-wide security settings: the HTTPS switch, forwarded headers, CSP on every HTML
page, Swagger from local files, API errors in the client's language, the secret key."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys

import pytest
from django.test import Client

from wenyuan.testing import child_env

pytestmark = pytest.mark.django_db


def _settings_in_child(tmp_path, **env) -> dict:
    code = (
        "import json, wenyuan.settings as s; print(json.dumps({k: getattr(s, k) for k in "
        "['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'LANGUAGE_COOKIE_SECURE', "
        "'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'ALLOWED_HOSTS']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=child_env(tmp_path / "home", **env),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_one_switch_sets_every_https_setting_together(tmp_path):
    off = _settings_in_child(tmp_path)
    assert off == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "LANGUAGE_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_PROXY_SSL_HEADER": None,
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "[::1]"],
    }
    on = _settings_in_child(tmp_path, WENYUAN_HTTPS="true", WENYUAN_ALLOWED_HOSTS="wenku.example")
    assert on == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "LANGUAGE_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "ALLOWED_HOSTS": ["wenku.example"],  # never "testserver" outside the tests
    }


def test_bad_trusted_proxies_refuse_to_start(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import wenyuan.settings"],
        env=child_env(tmp_path / "home", WENYUAN_TRUSTED_PROXIES="10.0.0.0/8,nginx"),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "WENYUAN_TRUSTED_PROXIES" in result.stderr


def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(settings):
    import ipaddress

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.WENYUAN_TRUSTED_PROXIES = (ipaddress.ip_network("192.0.2.1/32"),)
    claimed = Client(REMOTE_ADDR="203.0.113.9").get("/", HTTP_X_FORWARDED_PROTO="https")
    assert "Strict-Transport-Security" not in claimed.headers
    proxied = Client(REMOTE_ADDR="192.0.2.1").get("/", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.headers["Strict-Transport-Security"] == "max-age=3600"


ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/register/", "/no-such-page/"]
SIGNED_IN_PAGES = [
    "/",
    "/new/",
    "/search/?q=群众",
    "/c/work-reports/",
    "/tag/群众/",
    "/accounts/u/moderator/",
    "/accounts/settings/",
    "/accounts/settings/password/",
    "/accounts/settings/tokens/",
    "/upload/",
    "/me/uploads/",
    "/me/favorites/",
    "/me/wallet/topup/",
    "/admin/",
    "/admin/library/document/",
    "/admin/accounts/user/",
    "/api/docs",
]


def test_every_html_page_has_a_content_security_policy(staff, client_for):
    for client, paths in ((Client(), ANONYMOUS_PAGES), (client_for(staff), SIGNED_IN_PAGES)):
        for path in paths:
            response = client.get(path)
            assert response.status_code == (404 if "no-such" in path else 200), path
            assert response["Content-Type"].startswith("text/html"), path
            policy = response["Content-Security-Policy"]
            assert "default-src 'self'" in policy and "script-src 'self'" in policy, path
            assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
            assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
            html = response.content.decode()
            inline = re.search(
                r"<script(?![^>]*\b(src|type=\"application/json\"))[^>]*>\s*\S", html
            )
            assert not inline, f"inline script on {path}"
            assert not re.search(r"\son[a-z]+=\"", html), f"inline handler on {path}"
            assert "<style" not in html and not re.search(r"\sstyle=\"", html), (
                f"inline style on {path}"
            )


def test_the_api_docs_come_from_our_own_static_files():
    client = Client()
    response = client.get("/api/docs")
    html = response.content.decode()
    assert response.status_code == 200 and "swagger-ui" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "nothing from another site"
    assets = re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html)
    assert any("swagger-ui-bundle" in a for a in assets) and any(".css" in a for a in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert body
    settings_json = re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1)
    assert json.loads(settings_json)["validatorUrl"] is None  # no badge from elsewhere


def test_api_errors_follow_accept_language_and_pages_stay_chinese():
    client = Client()
    english = client.get("/api/documents/999999", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert english.status_code == 404
    assert english.json()["error"]["message"] == "Not found."
    assert english["Content-Language"] == "en" and "Accept-Language" in english["Vary"]
    chinese = client.get("/api/documents/999999", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert re.search(r"[\u4e00-\u9fff]", chinese.json()["error"]["message"])
    default = client.get("/api/documents/999999")
    assert default.json()["error"]["message"] == chinese.json()["error"]["message"]
    unsupported = client.get("/api/documents/999999", HTTP_ACCEPT_LANGUAGE="fr-FR, en;q=0.5")
    assert unsupported.json()["error"]["message"] == "Not found."
    # a JSON body error, in English too
    refused = client.post(
        "/api/auth/register", "{}", content_type="text/plain", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.json()["error"]["message"].startswith("Send the request body as JSON")
    # The site itself stays Chinese first, whatever the browser says.
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans" and "登录" in page.content.decode()


def _new_secret(home, umask: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "import wenyuan.settings as s; print(s.SECRET_KEY)"],
        env=child_env(home),
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.umask(umask),
    )


def test_the_generated_secret_key_is_private_from_the_start(tmp_path):
    home = tmp_path / "home"
    children = [_new_secret(home, 0) for _ in range(6)]  # six processes race to create it
    keys = {child.communicate(timeout=60)[0].strip() for child in children}
    assert all(child.returncode == 0 for child in children)
    assert len(keys) == 1 and len(keys.pop()) >= 50, "all six read the same key"
    path = home / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(home.glob(".secret_key.*")), "no temporary file left behind"
    path.chmod(0o644)  # an older copy of Wenyuan left it readable: it is made private
    _new_secret(home, 0o022).communicate(timeout=60)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_openapi_schema_that_swagger_reads_has_no_duplicate_keys():
    # Swagger UI refuses a schema with a repeated key ("duplicated mapping key"): /api/docs
    # showed nothing but that error while a route declared its 200 twice.
    duplicates = []

    def pairs(items):
        keys = [key for key, _value in items]
        duplicates.extend(key for key in set(keys) if keys.count(key) > 1)
        return dict(items)

    json.loads(Client().get("/api/openapi.json").content, object_pairs_hook=pairs)
    assert duplicates == []


def test_system_checks_warn_about_an_https_switch_without_a_proxy(settings):
    import ipaddress

    from wenyuan.accounts.checks import security_checks

    settings.WENYUAN_HTTPS, settings.WENYUAN_TRUSTED_PROXIES = True, ()
    assert [p.id for p in security_checks(None)] == ["wenyuan.W101"]
    settings.WENYUAN_TRUSTED_PROXIES = (ipaddress.ip_network("0.0.0.0/0"),)
    assert [p.id for p in security_checks(None)] == ["wenyuan.W102"]
    settings.WENYUAN_TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"),)
    assert security_checks(None) == []


def test_only_the_captcha_image_is_served():
    assert Client().get("/captcha/refresh/").status_code == 404
    assert Client().get("/captcha/image/0123abcd/").status_code == 410  # unknown key
