"""deploy/nginx/wenyuan.conf with Debian's nginx in front of a real `wenyuan serve`.

The shipped file is used as it is, with only this machine's ports and paths put in and a
self-signed certificate made here: `nginx -t` accepts it, and real HTTPS requests through
it get a page, a static file, a page image and a download sent by nginx through
X-Accel-Redirect after Wenyuan allowed them, while the internal location answers nothing
from outside. Skipped only where nginx is not installed (`./dev test` installs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from wenyuan.testing import ROOT, child_env, free_port, run, running, wait_http, wait_until

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
)
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)"),
]
CONF = ROOT / "deploy" / "nginx" / "wenyuan.conf"
HOST = "wenku.example.com"
ORIGINAL = bytes(range(256)) * 64  # 16 KiB, every byte value

SEED = """
import json
from django.conf import settings
from django.test import Client
from wenyuan.library import selectors
from wenyuan.library.tests.factories import document_make, original_store, user_make
owner = user_make("owner")
doc = document_make(owner=owner, title="部署测试文档", pages=["一", "二", "三"], price=5,
                    free_pages=1, rendered=True)
original_store(doc, bytes(range(256)) * 64)
doc.refresh_from_db()
client = Client()
client.force_login(owner)
print(json.dumps({
    "pk": doc.pk,
    "original": doc.original.name if hasattr(doc.original, "name") else str(doc.original),
    "free": selectors.page_image_url(document=doc, number=1),
    "free_name": selectors.page_image_name(document=doc, number=1, size="read"),
    "locked": selectors.page_image_url(document=doc, number=2),
    "cookie": settings.SESSION_COOKIE_NAME,
    "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
}))
"""


def nginx_site_render(*, home: Path, tmp: Path, upstream: int, http: int, https: int) -> str:
    """The shipped site file with this test's ports, paths and certificate."""
    text = CONF.read_text()
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "/etc/letsencrypt/live/wenku.example.com/fullchain.pem": str(tmp / "cert.pem"),
        "/etc/letsencrypt/live/wenku.example.com/privkey.pem": str(tmp / "key.pem"),
        "/srv/wenyuan/data/": f"{home}/",
        "/var/www/letsencrypt": str(tmp / "acme"),
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx/wenyuan.conf no longer has {old!r}"
        text = text.replace(old, new)
    # IPv6 may be missing on a test machine; the IPv4 lines are the same otherwise.
    return "\n".join(line for line in text.splitlines() if "listen [::]" not in line)


def nginx_main_write(tmp: Path, site: str) -> Path:
    (tmp / "wenyuan.conf").write_text(site)
    for folder in ("acme", "temp"):
        (tmp / folder).mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # tmp_path is readable by us only
    main = tmp / "nginx.conf"
    main.write_text(
        f"""{user}daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/temp/body;
    proxy_temp_path {tmp}/temp/proxy;
    fastcgi_temp_path {tmp}/temp/fastcgi;
    uwsgi_temp_path {tmp}/temp/uwsgi;
    scgi_temp_path {tmp}/temp/scgi;
    include {tmp}/wenyuan.conf;
}}
"""
    )
    return main


def _certificate(tmp: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1"]
        + ["-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
        check=True,
        capture_output=True,
    )


def test_the_shipped_nginx_file_serves_pages_static_files_and_accel_redirects(tmp_path):
    home, tmp = tmp_path / "home", tmp_path / "nginx"
    tmp.mkdir()
    env = child_env(
        home,
        WENYUAN_ALLOWED_HOSTS=HOST,
        WENYUAN_HTTPS="true",
        WENYUAN_TRUSTED_PROXIES="127.0.0.1,::1",
        WENYUAN_ACCEL_REDIRECT="/_files/",
        WENYUAN_WEB_PROCESSES="1",
        WENYUAN_TESTPAY="false",
    )
    run(["manage", "migrate", "-v0"], env, timeout=300)
    run(["manage", "createcachetable"], env)
    seeded = json.loads(run(["manage", "shell", "-c", SEED], env).stdout.strip().splitlines()[-1])
    upstream, http, https = free_port(), free_port(), free_port()
    _certificate(tmp)
    site = nginx_site_render(home=home, tmp=tmp, upstream=upstream, http=http, https=https)
    main = nginx_main_write(tmp, site)
    nginx = [NGINX, "-c", str(main), "-e", str(tmp / "error.log"), "-p", str(tmp)]
    checked = subprocess.run([*nginx, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr

    serve = ["serve", "--no-worker", "--port", str(upstream)]
    with (
        running(serve, env, tmp_path / "serve.log") as server,
        running_nginx(nginx, tmp / "nginx.log") as proxy,
    ):
        wait_http(f"http://127.0.0.1:{upstream}/healthz", process=server, timeout=120)
        base = f"https://127.0.0.1:{https}"
        wait_until(lambda: _listening(https) or proxy.poll() is not None, timeout=60)
        assert proxy.poll() is None, (tmp / "error.log").read_text()[-2000:]
        web = requests.Session()
        web.verify = str(tmp / "cert.pem")  # the certificate made above
        web.trust_env = False  # or REQUESTS_CA_BUNDLE would win over it
        web.headers["Host"] = HOST

        plain = requests.get(
            f"http://127.0.0.1:{http}/d/1/", headers={"Host": HOST}, allow_redirects=False
        )
        assert plain.status_code == 301
        assert plain.headers["Location"] == f"https://{HOST}/d/1/"

        page = web.get(f"{base}/d/{seeded['pk']}/", timeout=30)
        assert page.status_code == 200 and "部署测试文档" in page.text
        assert page.headers["Server"].startswith("nginx")
        # nginx's request id reached Wenyuan (and came back); HTTPS was believed
        assert re.fullmatch(r"[0-9a-f]{32}", page.headers["X-Request-ID"])
        assert "Strict-Transport-Security" in page.headers

        css = re.search(r'/static/[^"\']+\.css', page.text).group(0)
        static = web.get(f"{base}{css}", timeout=30)
        assert static.status_code == 200
        assert static.content == (home / "static" / css.removeprefix("/static/")).read_bytes()
        assert "immutable" in static.headers["Cache-Control"]

        image = web.get(f"{base}{seeded['free']}", timeout=30)
        assert image.status_code == 200, image.text[:300]
        assert image.content == (home / "files" / seeded["free_name"]).read_bytes()
        assert image.headers["Content-Type"] == "image/webp"
        assert image.headers["X-Content-Type-Options"] == "nosniff"
        assert "X-Accel-Redirect" not in image.headers
        again = web.get(f"{base}{seeded['free']}", headers={"If-None-Match": image.headers["ETag"]})
        assert again.status_code == 304

        locked = web.get(f"{base}{seeded['locked']}", timeout=30)
        assert locked.status_code in (401, 402, 403)
        assert locked.headers["Content-Type"] != "image/webp"

        # the internal location: nothing from outside, whatever the name
        for name in (seeded["original"], seeded["free_name"]):
            direct = web.get(f"{base}/_files/{name}", timeout=30)
            assert direct.status_code == 404 and ORIGINAL not in direct.content

        assert (
            web.get(f"{base}/d/{seeded['pk']}/download/", allow_redirects=True).url.find(
                "/accounts/login/"
            )
            != -1
        )  # signed out: the log-in page, no bytes

        owner = requests.Session()
        owner.verify, owner.trust_env = str(tmp / "cert.pem"), False
        owner.headers["Host"] = HOST
        owner.cookies.set(seeded["cookie"], seeded["session"])
        link = owner.get(f"{base}/d/{seeded['pk']}/download/", allow_redirects=False)
        assert link.status_code == 302, link.text[:300]
        signed = link.headers["Location"].replace(f"https://{HOST}", "")
        download = owner.get(f"{base}{signed}", timeout=30)
        assert download.status_code == 200, download.text[:300]
        assert download.content == ORIGINAL
        assert "attachment" in download.headers["Content-Disposition"]
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "X-Accel-Redirect" not in download.headers
        part = owner.get(f"{base}{signed}", headers={"Range": "bytes=256-511"}, timeout=30)
        assert part.status_code == 206 and part.content == ORIGINAL[256:512]

        stranger = web.get(f"{base}{signed}", timeout=30)  # the owner's link, signed out
        assert stranger.status_code == 403 and ORIGINAL not in stranger.content
    access = (tmp / "access.log").read_text()
    assert f"/d/{seeded['pk']}/" in access


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


class running_nginx:
    """nginx in the foreground as a child of the test, stopped with SIGTERM."""

    def __init__(self, command: list[str], log: Path):
        self.command, self.log = command, log

    def __enter__(self) -> subprocess.Popen:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT)
        return self.process

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
