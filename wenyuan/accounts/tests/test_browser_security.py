"""Every page still works in a real Chromium under the Content-Security-Policy (htmx, the
admin, Swagger), the CAPTCHA appears and can be solved, nothing is loaded from another
site, and a cross-site form cannot create an account. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from wenyuan.conftest import corpus_path
from wenyuan.library.tests.test_browser import CHROMIUM, LAUNCH_ARGS
from wenyuan.testing import child_env, free_port, run, running, sqlite_rows, stop, wait_http

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "security"
PASSWORD = "a long passphrase 42"
# Collected in the page before any of its own scripts run.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || ''));
});
"""

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def site(tmp_path):
    home = tmp_path / "home"
    env = child_env(home, WENYUAN_LOGIN_RATE="3/1h", WENYUAN_TESTPAY="true")
    run(["manage", "migrate", "-v0"], env)
    run(["user", "create", "管理员", "--password", PASSWORD, "--staff"], env)
    port = free_port()
    with running(["serve", "--port", str(port)], env, tmp_path / "serve.log") as server:
        wait_http(f"http://127.0.0.1:{port}/healthz", process=server)
        yield f"http://127.0.0.1:{port}", home


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose CSP violations, script errors and off-site requests are recorded."""

    def __init__(self, browser, base: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.offsite: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console: {msg.text} {msg.location.get('url', '')}")
                if msg.type == "error"
                else None
            ),
        )
        host = urlparse(base).netloc
        self.page.on(
            "request",
            lambda req: (
                self.offsite.append(req.url)
                if urlparse(req.url).netloc not in (host, "") and not req.url.startswith("data:")
                else None
            ),
        )

    def goto(self, path: str):
        response = self.page.goto(self.base + path)
        assert response.status < 400, (path, response.status)
        return response

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5_000

    def assert_clean(self, where: str) -> None:
        violations = self.page.evaluate("window.__csp || []")
        assert violations == [], (where, violations)
        assert [e for e in self.errors if "favicon" not in e] == [], (where, self.errors)
        assert self.offsite == [], (where, self.offsite)


def test_every_page_works_under_the_content_security_policy(site, browser, tmp_path):
    base, home = site
    w = Watched(browser, base)
    page = w.page

    w.goto("/accounts/register/")
    page.fill("#id_username", "安全读者")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}/")
    w.assert_clean("register")

    source = tmp_path / "四页讲义.pdf"
    source.write_bytes(corpus_path("pdf/pdfsamp__pdflatex-4-pages.pdf").read_bytes())
    w.goto("/upload/")
    w.shot("upload")
    page.set_input_files("input[type=file]", str(source))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url(re.compile(r"/d/\d+/$"))
    document_path = urlparse(page.url).path
    # htmx polls the processing banner, then reloads the page when it is published.
    page.wait_for_selector("#page-1 img", timeout=180_000)
    w.assert_clean("document page while processing")
    page.click(".expand button")  # 展开: hx-get
    page.wait_for_selector("#page-4")
    assert page.get_attribute("[id^=fav-] button", "aria-pressed") == "false"
    page.click("[id^=fav-] button")  # favourite: hx-post with the CSRF header from hx-headers
    page.wait_for_selector("[id^=fav-] button[aria-pressed=true]")
    assert "★" in page.inner_text("[id^=fav-]")
    page.evaluate("window.scrollTo(0, 0)")
    w.shot("document")
    w.assert_clean("document page")

    for name, path in [
        ("home", "/"),
        ("newest", "/new/"),
        ("search", "/search/?q=pdf"),
        ("my-uploads", "/me/uploads/"),
        ("my-favourites", "/me/favorites/"),
        ("profile", "/accounts/u/安全读者/"),
        ("settings", "/accounts/settings/"),
        ("password", "/accounts/settings/password/"),
    ]:
        w.goto(path)
        w.shot(name)
        w.assert_clean(name)
    w.goto("/me/favorites/")
    assert page.locator(f"a[href='{document_path}']").count() >= 1, "the favourite was saved"

    w.goto("/accounts/settings/tokens/")
    page.fill("#id_name", "同步脚本")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("#new-token")
    raw = page.inner_text("#new-token code")
    assert raw.startswith("wy_")
    page.click("#new-token [data-copy]")  # site.js: works without inline script
    w.shot("tokens")
    w.assert_clean("tokens")

    # A top-up waiting for its payment: the order page polls through its own script file.
    w.goto("/me/wallet/topup/")
    w.shot("topup")
    page.check("input[name=preset][value='3000']")
    page.check("input[name=provider][value=testpay]")
    page.click("#topup-form button[type=submit]")
    page.wait_for_url(re.compile(r"/pay/test/WY\w+/$"))
    number = page.url.rstrip("/").rsplit("/", 1)[1]
    w.goto(f"/me/wallet/topups/{number}/")
    assert page.locator("script[src*='topup-order']").count() == 1
    w.shot("topup-order")
    w.assert_clean("top-up order")

    w.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=60_000)
    page.wait_for_selector(".opblock-tag")
    w.shot("api-docs")
    w.assert_clean("api docs")
    w.context.close()


def test_captcha_after_failures_and_the_admin_under_csp(site, browser):
    base, home = site
    w = Watched(browser, base)
    page = w.page
    for _ in range(3):  # WENYUAN_LOGIN_RATE=3/1h for this site
        w.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", "管理员")
        page.fill("#id_password", "not the password")
        page.click("form.form button[type=submit]")
    page.wait_for_selector("img.captcha")
    assert page.evaluate("document.querySelector('img.captcha').naturalWidth") > 0
    w.shot("login-captcha")
    key = page.get_attribute("input[name=captcha_0]", "value")
    (answer,) = sqlite_rows(
        home, "SELECT response FROM captcha_captchastore WHERE hashkey = ?", [key]
    )[0]
    page.fill("#id_username", "管理员")
    page.fill("#id_password", PASSWORD)
    page.fill("input[name=captcha_1]", answer.upper())
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    w.assert_clean("log-in with captcha")
    for name, path in [
        ("admin", "/admin/"),
        ("admin-users", "/admin/accounts/user/"),
        ("admin-user", "/admin/accounts/user/1/change/"),
        ("admin-documents", "/admin/library/document/"),
        ("admin-tokens", "/admin/accounts/apitoken/"),
    ]:
        w.goto(path)
        w.shot(name)
        w.assert_clean(name)
    page.click("#toggle-nav-sidebar")  # the admin's own scripts run
    w.assert_clean("admin sidebar")
    w.context.close()


def test_a_cross_site_form_cannot_create_an_account(site, browser, tmp_path):
    base, home = site
    evil = tmp_path / "evil"
    evil.mkdir()
    body_name = '{"username": "csrf-victim", "password": "a long passphrase 9", "x": "'
    (evil / "index.html").write_text(
        f"""<!doctype html><meta charset="utf-8">
<form id="plain" method="post" action="{base}/api/auth/register" enctype="text/plain">
<input type="hidden" name='{body_name}' value='"}}'><button>win a prize</button></form>
<form id="urlencoded" method="post" action="{base}/api/auth/register">
<input type="hidden" name="username" value="csrf-victim2"><input type="hidden" name="password" value="a long passphrase 9">
<button>another prize</button></form>""",
        encoding="utf-8",
    )
    port = free_port()
    attacker = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(evil)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", process=attacker)
        context = browser.new_context()
        page = context.new_page()
        for form in ("plain", "urlencoded"):
            page.goto(f"http://localhost:{port}/")  # another site than 127.0.0.1
            with page.expect_navigation():
                page.click(f"#{form} button")
            assert "unsupported_media_type" in page.content(), form
        context.close()
    finally:
        stop(attacker)
    rows = sqlite_rows(
        home, "SELECT username FROM accounts_user WHERE username LIKE 'csrf-victim%'"
    )
    assert rows == []
