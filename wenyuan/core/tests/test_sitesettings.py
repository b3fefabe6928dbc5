"""Runtime site settings: the staff page, validation, the change log, who may change
them, and the call sites that read them (setting_value, money_rules)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from wenyuan import config
from wenyuan.core import sitesettings
from wenyuan.core.models import SiteSetting, SiteSettingChange
from wenyuan.core.rules import money_rules

URL = "/staff/settings/"


def _post(client, name, value, reason="operator's decision", **extra):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the messages checked in English
    return client.post(URL, {"name": name, "value": value, "reason": reason, **extra})


def test_without_a_change_the_environment_value_applies(db):
    assert sitesettings.setting_value("WENYUAN_AUTHOR_SHARE") == 70
    with override_settings(WENYUAN_AUTHOR_SHARE=65):
        assert money_rules().author_share == 65
    assert sitesettings.setting_value("WENYUAN_SITE_NAME") == "文渊"


def test_a_staff_change_applies_at_once_and_is_in_the_history(staff, client_for):
    client = client_for(staff)
    response = _post(client, "WENYUAN_AUTHOR_SHARE", "60", reason="summer promotion")
    assert response.status_code == 302
    assert money_rules().author_share == 60  # this process: no wait
    change = SiteSettingChange.objects.get()
    assert (change.name, change.old_value, change.new_value) == ("WENYUAN_AUTHOR_SHARE", None, "60")
    assert (change.actor, change.actor_name, change.reason) == (
        staff,
        "moderator",
        "summer promotion",
    )

    _post(client, "WENYUAN_AUTHOR_SHARE", "55", reason="second thoughts")
    assert money_rules().author_share == 55
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "summer promotion" in html and "second thoughts" in html
    latest = SiteSettingChange.objects.first()
    assert (latest.old_value, latest.new_value) == ("60", "55")

    assert _post(client, "WENYUAN_AUTHOR_SHARE", "", reset="1").status_code == 302
    assert money_rules().author_share == 70
    assert not SiteSetting.objects.exists()
    assert SiteSettingChange.objects.first().new_value is None
    assert SiteSettingChange.objects.count() == 3


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("WENYUAN_AUTHOR_SHARE", "abc", "is not a whole number"),
        ("WENYUAN_AUTHOR_SHARE", "101", "must be at most 100"),
        ("WENYUAN_AUTHOR_SHARE", "95", "AUTHOR_SHARE + WENYUAN_REFERRAL_SHARE must be at most 100"),
        ("WENYUAN_PRICE_MIN", "200000", "must not be above WENYUAN_PRICE_MAX"),
        ("WENYUAN_REFERRAL_DAYS", "0", "must be at least 1"),
        ("WENYUAN_REGISTRATION_OPEN", "maybe", "is not a boolean"),
        ("WENYUAN_TAKEDOWN_BUYERS", "burn", "is not one of keep, refund"),
        ("WENYUAN_VIP_PLANS", "month:30", "plans are written like month:30:300"),
        ("WENYUAN_VIP_PLANS", "", "plans are written like"),
        ("WENYUAN_VIP_PLANS", "month:30:300,month:31:310", "each code once"),
        ("WENYUAN_SITE_NAME", "名" * 61, "at most 60 characters"),
        ("WENYUAN_SECRET_KEY", "x" * 50, "is fixed at start"),
        ("DATABASE_URL", "postgres://elsewhere/db", "is fixed at start"),
        ("WENYUAN_NO_SUCH_THING", "1", "is not a setting"),
    ],
)
def test_bad_values_are_refused_with_a_reason_and_nothing_changes(
    staff, client_for, name, value, why
):
    response = _post(client_for(staff), name, value)
    assert response.status_code == 400
    assert why in response.content.decode()
    assert not SiteSetting.objects.exists() and not SiteSettingChange.objects.exists()


def test_a_change_without_a_reason_is_refused(staff, client_for):
    response = _post(client_for(staff), "WENYUAN_REFERRAL_DAYS", "14", reason="  ")
    assert response.status_code == 400
    assert "a reason is required" in response.content.decode()
    assert sitesettings.setting_value("WENYUAN_REFERRAL_DAYS") == 7


def test_only_staff_see_or_change_the_settings(user, client_for):
    anonymous = client_for()
    assert anonymous.get(URL).status_code == 302  # to the log-in page
    assert _post(anonymous, "WENYUAN_REFERRAL_DAYS", "30").status_code == 302
    reader = client_for(user)
    assert reader.get(URL).status_code == 403
    assert _post(reader, "WENYUAN_REFERRAL_DAYS", "30").status_code == 403
    assert not SiteSettingChange.objects.exists()
    assert money_rules().referral_days == 7


def test_the_change_log_is_append_only(staff):
    change = sitesettings.setting_change(
        name="WENYUAN_REWARD_SIGNIN", text="2", actor=staff, reason="more sign-ins"
    )
    change.reason = "rewritten"
    with pytest.raises(ValueError):
        change.save()
    with pytest.raises(ValueError):
        change.delete()
    assert SiteSettingChange.objects.get().reason == "more sign-ins"


def test_vip_plans_rewards_and_moderation_policy_follow_the_change(staff):
    change = sitesettings.setting_change
    change(name="WENYUAN_VIP_PLANS", text="week:7:80, year:365:2000", actor=staff, reason="r")
    change(name="WENYUAN_REWARD_UPLOAD", text="5", actor=staff, reason="r")
    change(name="WENYUAN_TAKEDOWN_BUYERS", text="Refund", actor=staff, reason="r")
    rules = money_rules()
    assert [(p.code, p.days, p.price) for p in rules.vip_plans] == [
        ("week", 7, 80),
        ("year", 365, 2000),
    ]
    assert rules.upload.points == 5
    assert sitesettings.setting_value("WENYUAN_TAKEDOWN_BUYERS") == "refund"
    assert SiteSetting.objects.get(name="WENYUAN_VIP_PLANS").value == "week:7:80,year:365:2000"


def test_site_name_notice_and_free_pages_default_reach_the_pages(staff, user, client_for):
    change = sitesettings.setting_change
    change(name="WENYUAN_SITE_NAME", text="书海文库", actor=staff, reason="rename")
    change(name="WENYUAN_SITE_NOTICE", text="今晚 23:00 维护", actor=staff, reason="maintenance")
    change(name="WENYUAN_FREE_PAGES", text="9", actor=staff, reason="more preview")
    home = client_for().get("/").content.decode()
    assert "书海文库" in home and "今晚 23:00 维护" in home and 'id="site-notice"' in home
    upload = client_for(user).get("/upload/").content.decode()
    assert 'name="free_pages" value="9"' in upload


def test_closed_registration_refuses_the_page_and_the_api(staff, client_for):
    sitesettings.setting_change(
        name="WENYUAN_REGISTRATION_OPEN", text="false", actor=staff, reason="spam wave"
    )
    page = client_for().get("/accounts/register/")
    assert page.status_code == 403 and 'id="registration-closed"' in page.content.decode()
    posted = client_for().post(
        "/accounts/register/",
        {"username": "newcomer", "password1": "a strong passphrase 1", "password2": "x"},
    )
    assert posted.status_code == 403
    api = client_for().post(
        "/api/auth/register",
        {"username": "newcomer", "password": "a strong passphrase 1"},
        content_type="application/json",
    )
    assert api.status_code == 403 and api.json()["error"]["code"] == "registration_closed"
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="newcomer").exists()


def test_another_process_sees_a_change_once_its_copy_is_rechecked(staff, monkeypatch):
    """Stands for another process: a cached copy is reused until RECHECK_SECONDS pass,
    then the version row tells it to reload (the live test runs real processes)."""
    assert sitesettings.setting_value("WENYUAN_REFERRAL_DAYS") == 7  # copy cached
    from django.db.models import F

    from wenyuan.core.models import SiteSetting as Row
    from wenyuan.core.models import SiteSettingsVersion

    # another process's write: rows and version, without touching this process's copy
    Row.objects.create(name="WENYUAN_REFERRAL_DAYS", value="30")
    SiteSettingsVersion.objects.get_or_create(pk=1)
    SiteSettingsVersion.objects.filter(pk=1).update(version=F("version") + 1)
    assert sitesettings.setting_value("WENYUAN_REFERRAL_DAYS") == 7  # within the window
    monkeypatch.setattr(sitesettings, "RECHECK_SECONDS", 0.0)
    assert sitesettings.setting_value("WENYUAN_REFERRAL_DAYS") == 30


def test_every_runtime_setting_is_declared_with_its_bounds_and_parses_its_default():
    for setting in config.runtime_settings():
        assert setting.kind in ("str", "int", "bool", "plans"), setting.name
        if setting.kind == "int":
            assert setting.minimum is not None and setting.maximum is not None, setting.name
        config.setting_parse(setting, setting.default)  # the default itself is valid
    fixed = {s.name for s in config.SETTINGS if not s.runtime}
    assert {"WENYUAN_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "WENYUAN_S3_BUCKET"} <= fixed
    assert "| staff (" in config.settings_markdown()


def test_the_page_and_its_refusals_read_in_chinese(staff, client_for):
    client = client_for(staff)
    page = client.get(URL).content.decode()  # Chinese first
    assert "站点设置" in page and "整数 0–100" in page
    refused = client.post(
        URL,
        {"name": "WENYUAN_AUTHOR_SHARE", "value": "101", "reason": "试试"},
    )
    assert "WENYUAN_AUTHOR_SHARE：101 不能大于 100" in refused.content.decode()


def test_no_code_reads_a_runtime_setting_around_setting_value():
    """Every read of a runtime setting goes through sitesettings.setting_value (or
    money_rules, which uses it): none reads django.conf.settings for one directly."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    names = "|".join(s.name for s in config.runtime_settings())
    pattern = re.compile(rf"settings\.({names})\b")
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or path.name in ("settings.py", "test_settings.py"):
            continue
        offenders += [f"{path.relative_to(root)}: {m}" for m in pattern.findall(path.read_text())]
    assert offenders == []
