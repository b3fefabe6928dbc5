"""The deployment files the guide (docs/deployment.md) refers to exist and agree with the
code: the compose file has the services the guide names and gives web and worker the same
shared settings, every variable they set is a declared setting, the systemd units start
commands `wenyuan` has, and the image installs the site's Debian packages of ./dev.

Docker is not available on CI: the compose file and the Dockerfile are checked here, not
run. The nginx file is run for real in test_nginx.py."""

from __future__ import annotations

import configparser
import re

import yaml

from wenyuan import cli, config
from wenyuan.testing import ROOT

DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "deployment.md"
KNOWN = {s.name for s in config.SETTINGS}
SHARED = {
    "DATABASE_URL",
    "REDIS_URL",
    "WENYUAN_S3_BUCKET",
    "WENYUAN_S3_ENDPOINT_URL",
    "WENYUAN_S3_ACCESS_KEY_ID",
    "WENYUAN_S3_SECRET_ACCESS_KEY",
}


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_the_compose_file_has_the_services_of_the_guide():
    services = _compose()["services"]
    assert {"postgres", "redis", "minio", "web", "worker"} <= set(services)
    guide = GUIDE.read_text()
    for name in services:
        assert f"`{name}`" in guide, f"docs/deployment.md does not explain service {name}"
    assert services["web"]["command"][:2] == ["wenyuan", "serve"]
    assert "--no-worker" in services["web"]["command"]
    assert services["worker"]["command"] == ["wenyuan", "worker"]


def test_web_and_worker_share_database_queue_storage_and_secrets():
    services = _compose()["services"]
    web, worker = services["web"], services["worker"]
    assert web["environment"] == worker["environment"]
    assert SHARED <= set(web["environment"])
    assert web["env_file"] == worker["env_file"] == "wenyuan.env"
    assert web["environment"]["WENYUAN_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert "@postgres:5432/" in web["environment"]["DATABASE_URL"]
    assert web["environment"]["REDIS_URL"].startswith("redis://redis:6379/")
    for dependency in ("postgres", "redis"):
        assert web["depends_on"][dependency]["condition"] == "service_healthy"


def test_every_variable_the_deployment_sets_is_a_declared_setting():
    example = (DEPLOY / "wenyuan.env.example").read_text()
    names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    assert "WENYUAN_SECRET_KEY" in names  # shared by every machine
    names |= set(_compose()["services"]["web"]["environment"])
    unknown = {n.removesuffix("_FILE") for n in names} - KNOWN
    assert not unknown, f"not in wenyuan/config.py: {sorted(unknown)}"


def test_the_systemd_units_run_commands_wenyuan_has():
    commands = {"serve", "worker", *cli.COMMANDS}
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} == {
        "wenyuan-web.service",
        "wenyuan-worker.service",
        "wenyuan-backup.service",
    }
    for unit in units:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.read_string(unit.read_text())
        command = parser["Service"]["ExecStart"].split()
        assert command[0].endswith("/bin/wenyuan") and command[1] in commands, unit.name
        assert parser["Service"]["EnvironmentFile"] == "/etc/wenyuan/wenyuan.env"
    timer = configparser.ConfigParser(interpolation=None)
    timer.read_string((DEPLOY / "systemd" / "wenyuan-backup.timer").read_text())
    assert timer["Timer"]["Unit"] == "wenyuan-backup.service"
    assert timer["Timer"]["OnCalendar"]


def test_the_image_installs_the_sites_debian_packages():
    dev = (ROOT / "dev").read_text()
    serve = re.search(r"^SERVE_PACKAGES=\((.*?)\)", dev, re.M | re.S).group(1).split()
    dockerfile = (ROOT / "Dockerfile").read_text()
    installed = set(dockerfile.replace("\\", " ").split())
    assert set(serve) <= installed, set(serve) - installed
    assert "requirements.lock" in dockerfile


def test_the_guide_names_every_deployment_file():
    guide = GUIDE.read_text()
    files = [p.relative_to(ROOT).as_posix() for p in DEPLOY.rglob("*") if p.is_file()]
    for name in [*files, "Dockerfile"]:
        assert name in guide, f"docs/deployment.md does not mention {name}"
