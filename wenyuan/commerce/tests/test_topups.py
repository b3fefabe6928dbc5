"""Top-up rules in the test process: verification of each provider, the state machine,
limits, expiry, late payments, queries against a real HTTP server of our own.

The same notifications go to a live ``wenyuan serve`` over HTTP in test_topups_live.py.
"""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from wenyuan.commerce.ledger import ledger_check
from wenyuan.commerce.models import LedgerTransaction, TopupEvent, TopupOrder
from wenyuan.commerce.payments import services
from wenyuan.commerce.payments.base import ProviderUnavailable, get_provider
from wenyuan.commerce.payments.lifecycle import (
    TRANSITIONS,
    TopupTransitionError,
    topup_transition,
)
from wenyuan.commerce.selectors import balance_of_user
from wenyuan.commerce.tests import payfakes as pf

SITE = "https://wenku.example.com"


def _order(user, provider="alipay", amount=1000):
    order, _checkout = services.topup_create(
        user=user, provider=provider, amount=amount, site_url=SITE
    )
    return order


def _notify(provider, headers, body):
    return services.notification_handle(provider=provider, headers=headers, body=body)


def _alipay(order, total=None, **kwargs):
    total = total or f"{order.amount // 100}.{order.amount % 100:02d}"
    return pf.form(pf.alipay_notification(order.number, total, **kwargs))


# -- creating orders --------------------------------------------------------------------


@pytest.mark.django_db
def test_an_alipay_order_gets_a_signed_page_pay_url_and_nothing_is_called(user, providers):
    order, checkout = services.topup_create(
        user=user, provider="alipay", amount=1234, site_url=SITE
    )
    assert (order.status, order.amount, order.points, order.currency) == (
        "created",
        1234,
        1234,
        "CNY",
    )
    url = urlsplit(checkout.pay_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{providers.base}/gateway.do"
    params = dict(parse_qsl(url.query))
    assert params["method"] == "alipay.trade.page.pay" and params["sign_type"] == "RSA2"
    assert pf.sha256_rsa_ok(
        pf.rsa_key("alipay-app"), pf.alipay_content(params).encode(), params["sign"]
    )
    biz = json.loads(params["biz_content"])
    assert biz["out_trade_no"] == order.number and biz["total_amount"] == "12.34"
    assert params["notify_url"] == f"{SITE}/api/payments/alipay/notify"
    assert params["return_url"] == f"{SITE}/me/wallet/topups/{order.number}/"
    assert providers.seen == []  # creating an order calls no provider
    assert [e.new_status for e in TopupEvent.objects.filter(order=order)] == ["created"]


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [99, 500_001, 0, -100, 10.0, "1000", True, None])
def test_amounts_outside_the_limits_or_not_whole_fen_are_refused(user, providers, amount):
    with pytest.raises(services.TopupError) as caught:
        services.topup_create(user=user, provider="alipay", amount=amount, site_url=SITE)
    assert caught.value.code == "invalid_amount"
    assert TopupOrder.objects.count() == 0


@pytest.mark.django_db
def test_the_exchange_rate_must_give_whole_points(user, providers, settings):
    settings.WENYUAN_TOPUP_POINTS_PER_YUAN = 3
    with pytest.raises(services.TopupError) as caught:
        services.topup_create(user=user, provider="alipay", amount=1050, site_url=SITE)
    assert caught.value.code == "invalid_amount" and "10.50" in str(caught.value.message)
    assert _order(user, amount=1000).points == 30


@pytest.mark.django_db
def test_providers_that_are_off_or_unknown_are_refused(user, providers, settings):
    settings.WENYUAN_TESTPAY = {"enabled": False, "key": ""}
    for name, code in [("testpay", "provider_off"), ("paypal", "unknown_provider")]:
        with pytest.raises(services.TopupError) as caught:
            services.topup_create(user=user, provider=name, amount=1000, site_url=SITE)
        assert caught.value.code == code


@pytest.mark.django_db
def test_open_orders_and_the_creation_rate_are_limited(user, other_user, providers, settings):
    settings.WENYUAN_TOPUP_MAX_OPEN = 2
    _order(user), _order(user)
    with pytest.raises(services.TopupError) as caught:
        _order(user)
    assert (caught.value.status, caught.value.code) == (429, "too_many_open")
    _order(other_user)  # a limit per user
    settings.WENYUAN_TOPUP_MAX_OPEN, settings.WENYUAN_TOPUP_RATE = 10, (3, 3600)
    _order(user)
    with pytest.raises(services.TopupError) as caught:
        _order(user)
    assert caught.value.code == "rate_limited"


# -- notifications ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_good_alipay_notification_credits_once_however_often_it_comes(user, providers):
    order = _order(user)
    body = _alipay(order)
    outcomes = {_notify("alipay", {}, body).outcome for _ in range(5)}
    assert outcomes == {"credited"}
    result = _notify("alipay", {}, body)
    assert (result.ack.status, result.ack.body) == (200, b"success")
    order.refresh_from_db()
    assert order.status == "credited" and order.provider_trade_no
    assert balance_of_user(user=user) == 1000
    assert LedgerTransaction.objects.filter(kind="topup").count() == 1
    assert [e.new_status for e in order.events.all()] == ["created", "paid", "credited"]
    assert ledger_check() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda o: _alipay(o, key=pf.rsa_key("forger")), "bad_signature"),
        (
            lambda o: _alipay(o).replace(b"total_amount=10.00", b"total_amount=1000.00"),
            "bad_signature",
        ),
        (lambda o: _alipay(o).replace(b"subject=", b"subject=X"), "bad_signature"),
        (lambda o: _alipay(o) + b"&total_amount=1000.00", "malformed"),
        (lambda o: _alipay(o, app_id="2021999999999999"), "wrong_merchant"),
        (lambda o: _alipay(o, extra={"seller_id": "2088999999999999"}), "wrong_merchant"),
        (lambda o: _alipay(o).replace(b"sign_type=RSA2", b"sign_type=RSA"), "bad_signature"),
        (
            lambda o: b"&".join(p for p in _alipay(o).split(b"&") if not p.startswith(b"sign=")),
            "unsigned",
        ),
        (lambda o: _alipay(o, total="10.001"), "malformed"),
        (lambda o: _alipay(o, total="1e1"), "malformed"),
        (lambda o: _alipay(o).decode().encode("utf-16"), "malformed"),
        (lambda o: _alipay(o, total="9.99"), "amount_mismatch"),
        (lambda o: _alipay(o, extra={"trans_currency": "USD"}), "amount_mismatch"),
    ],
    ids=[
        "forged",
        "amount-tampered",
        "field-tampered",
        "repeated-parameter",
        "other-app",
        "other-seller",
        "sign-type",
        "unsigned",
        "three-decimals",
        "exponent",
        "not-utf8",
        "wrong-amount",
        "wrong-currency",
    ],
)
def test_bad_alipay_notifications_credit_nothing(user, providers, make, code):
    order = _order(user)
    result = _notify("alipay", {}, make(order))
    assert result.outcome == code
    assert (result.ack.status, result.ack.body) == (400, b"failure")
    order.refresh_from_db()
    assert order.status == "created"
    assert balance_of_user(user=user) == 0
    # Only a notification that really came from Alipay leaves a note on the order.
    notes = [e.reason for e in order.events.filter(reason__contains="refused")]
    assert len(notes) == (1 if code == "amount_mismatch" else 0), notes


@pytest.mark.django_db
def test_a_good_wechat_notification_credits_once(user, providers):
    order = _order(user, "wechat", 2000)
    headers, body = pf.wechat_notification(pf.wechat_transaction(order.number, 2000))
    for _ in range(3):
        result = _notify("wechat", headers, body)
        assert result.outcome == "credited"
        assert result.ack.status == 200 and json.loads(result.ack.body)["code"] == "SUCCESS"
    assert balance_of_user(user=user) == 2000
    assert ledger_check() == []


def _wechat_bad(kind, order):
    transaction = pf.wechat_transaction(order.number, order.amount)
    if kind == "forged":
        return pf.wechat_notification(transaction, key=pf.rsa_key("forger"))
    if kind == "tampered":
        headers, body = pf.wechat_notification(transaction)
        return headers, body.replace(b'"summary": "', b'"summary": "x')
    if kind == "stale":
        return pf.wechat_notification(transaction, timestamp=int(timezone.now().timestamp()) - 301)
    if kind == "future":
        return pf.wechat_notification(transaction, timestamp=int(timezone.now().timestamp()) + 301)
    if kind == "unknown-serial":
        return pf.wechat_notification(transaction, serial="0ABCDEF")
    if kind == "wrong-apiv3-key":
        return pf.wechat_notification(transaction, apiv3_key="x" * 32)
    if kind == "other-merchant":
        return pf.wechat_notification({**transaction, "mchid": "1900000999"})
    if kind == "wrong-amount":
        return pf.wechat_notification(pf.wechat_transaction(order.number, order.amount - 1))
    if kind == "wrong-currency":
        return pf.wechat_notification(
            pf.wechat_transaction(order.number, order.amount, currency="USD")
        )
    if kind == "float-amount":
        return pf.wechat_notification(pf.wechat_transaction(order.number, float(order.amount)))
    if kind == "probe":  # WeChat Pay's own check that merchants verify signatures
        headers, body = pf.wechat_notification(transaction)
        return {
            **headers,
            "Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + headers["Wechatpay-Signature"],
        }, body
    raise AssertionError(kind)


WECHAT_BAD = {
    "forged": "bad_signature",
    "tampered": "bad_signature",
    "stale": "stale",
    "future": "stale",
    "unknown-serial": "unknown_key",
    "wrong-apiv3-key": "malformed",
    "other-merchant": "wrong_merchant",
    "wrong-amount": "amount_mismatch",
    "wrong-currency": "amount_mismatch",
    "float-amount": "malformed",
    "probe": "bad_signature",
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(WECHAT_BAD))
def test_bad_wechat_notifications_credit_nothing(user, providers, kind):
    order = _order(user, "wechat", 1500)
    result = _notify("wechat", *_wechat_bad(kind, order))
    assert result.outcome == WECHAT_BAD[kind]
    assert result.ack.status == 400 and json.loads(result.ack.body)["code"] == "FAIL"
    order.refresh_from_db()
    assert order.status == "created" and balance_of_user(user=user) == 0


@pytest.mark.django_db
def test_an_expired_platform_certificate_verifies_nothing(user, providers, settings):
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = pf.rsa_key("old-platform")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old")])
    now = dt.datetime.now(dt.UTC)
    old = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=400))
        .not_valid_after(now - dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    conf = dict(settings.WENYUAN_WECHATPAY)
    conf["platform_certs"] += pf.certificate_pem(old)
    settings.WENYUAN_WECHATPAY = conf
    order = _order(user, "wechat", 1000)
    headers, body = pf.wechat_notification(
        pf.wechat_transaction(order.number, 1000), key=key, serial=pf.serial_of(old)
    )
    assert _notify("wechat", headers, body).outcome == "unknown_key"


@pytest.mark.django_db
def test_the_wechat_public_key_mode_verifies_by_its_id(user, providers, settings):
    conf = dict(settings.WENYUAN_WECHATPAY)
    conf.update(
        platform_certs="",
        public_key=pf.public_pem(pf.rsa_key("wechat-pubkey")),
        public_key_id="PUB_KEY_ID_0114232134912410000000000001",
    )
    settings.WENYUAN_WECHATPAY = conf
    order = _order(user, "wechat", 1000)
    headers, body = pf.wechat_notification(
        pf.wechat_transaction(order.number, 1000),
        key=pf.rsa_key("wechat-pubkey"),
        serial="PUB_KEY_ID_0114232134912410000000000001",
    )
    assert _notify("wechat", headers, body).outcome == "credited"


@pytest.mark.django_db
def test_an_order_of_another_provider_or_unknown_is_refused(user, providers):
    wechat_order = _order(user, "wechat", 1000)
    result = _notify("alipay", {}, pf.form(pf.alipay_notification(wechat_order.number, "10.00")))
    assert result.outcome == "unknown_order" and result.ack.body == b"failure"
    result = _notify("alipay", {}, pf.form(pf.alipay_notification("WY000000NOSUCHORDER", "10.00")))
    assert result.outcome == "unknown_order"
    assert services.notification_handle(provider="nosuch", headers={}, body=b"") is None
    wechat_order.refresh_from_db()
    assert wechat_order.status == "created" and balance_of_user(user=user) == 0


@pytest.mark.django_db
def test_the_test_provider_is_verified_like_the_others(user, providers, settings):
    order = _order(user, "testpay", 500)
    assert (
        _notify("testpay", *pf.testpay_notification(order.number, 500, key="wrong")).outcome
        == "bad_signature"
    )
    assert (
        _notify("testpay", *pf.testpay_notification(order.number, 501)).outcome == "amount_mismatch"
    )
    assert _notify("testpay", *pf.testpay_notification(order.number, 500)).outcome == "credited"
    settings.WENYUAN_TESTPAY = {"enabled": False, "key": pf.TESTPAY_KEY}
    assert services.notification_handle(provider="testpay", headers={}, body=b"") is None


@pytest.mark.django_db
def test_a_closed_trade_fails_the_order_and_a_later_payment_is_not_taken(user, providers):
    order = _order(user)
    assert _notify("alipay", {}, _alipay(order, trade_status="TRADE_CLOSED")).outcome == "closed"
    order.refresh_from_db()
    assert order.status == "failed"
    result = _notify("alipay", {}, _alipay(order))
    assert result.outcome == "order_failed" and result.ack.body == b"failure"
    assert balance_of_user(user=user) == 0
    assert "refused" in order.events.last().reason


@pytest.mark.django_db
def test_a_pending_trade_changes_nothing(user, providers):
    order = _order(user)
    assert _notify("alipay", {}, _alipay(order, trade_status="WAIT_BUYER_PAY")).outcome == "pending"
    order.refresh_from_db()
    assert order.status == "created"


# -- the state machine ------------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_transitions_in_the_table_are_allowed(user, providers):
    statuses = ["created", "paid", "credited", "expired", "failed"]
    actors = ["user", "provider", "system", "staff"]
    order = _order(user)
    from wenyuan.commerce.services import points_grant

    # Any transaction will do as the one a "credited" order names, for this table test.
    record = points_grant(user=user, amount=1, reason="stand-in")
    TopupOrder.objects.filter(pk=order.pk).update(ledger_transaction=record)
    for old in statuses:
        for new in statuses:
            for by in actors:
                TopupOrder.objects.filter(pk=order.pk).update(status=old)
                allowed = by in TRANSITIONS.get((old, new), ())
                if new == "credited":  # a credited order must name its ledger transaction
                    continue
                try:
                    topup_transition(order=order, to=new, by=by, reason="table")
                    moved = True
                except TopupTransitionError:
                    moved = False
                assert moved == allowed, (old, new, by)
    assert not any(old in ("credited", "failed") for old, _new in TRANSITIONS)


@pytest.mark.django_db
def test_expiry_asks_the_provider_then_expires_and_a_late_payment_is_still_credited(
    user, providers
):
    paid_meanwhile, unpaid, unknown = _order(user), _order(user), _order(user, "wechat", 1000)
    providers.alipay[paid_meanwhile.number] = {
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "10.00",
        "trade_no": "2026000111",
    }
    providers.alipay[unpaid.number] = {"trade_status": "WAIT_BUYER_PAY", "total_amount": "10.00"}
    later = timezone.now() + timedelta(minutes=31)
    assert services.topups_sweep(now=later) == {"credited": 0, "expired": 2}
    states = dict(TopupOrder.objects.values_list("number", "status"))
    assert states[paid_meanwhile.number] == "credited"  # its notification had been lost
    assert states[unpaid.number] == states[unknown.number] == "expired"
    assert all(ok for _m, _p, ok in providers.seen) and len(providers.seen) == 3
    assert services.topups_sweep(now=later) == {"credited": 0, "expired": 0}  # idempotent
    # The payer paid at the last second: the money is real, so it is credited.
    assert _notify("alipay", {}, _alipay(unpaid)).outcome == "credited"
    assert balance_of_user(user=user) == 2000
    assert ledger_check() == []


@pytest.mark.django_db
def test_an_unreachable_provider_does_not_keep_orders_open(user, providers, settings):
    order = _order(user)
    conf = dict(settings.WENYUAN_ALIPAY)
    conf["gateway"] = "http://127.0.0.1:9/gateway.do"  # nothing listens there
    settings.WENYUAN_ALIPAY = conf
    with pytest.raises(ProviderUnavailable):
        services.topup_query(order=order)
    services.topups_sweep(now=timezone.now() + timedelta(hours=1))
    order.refresh_from_db()
    assert order.status == "expired"


@pytest.mark.django_db
def test_an_interrupted_credit_is_finished_by_the_sweep_once(user, providers):
    order = _order(user)
    topup_transition(order=order, to="paid", by="provider", reason="crash before credit")
    assert services.topups_sweep() == {"credited": 1, "expired": 0}
    assert services.topups_sweep() == {"credited": 0, "expired": 0}
    assert balance_of_user(user=user) == 1000
    assert _notify("alipay", {}, _alipay(order)).outcome == "credited"  # a replay: nothing more
    assert balance_of_user(user=user) == 1000


# -- queries and WeChat's QR code, against the fake server ------------------------------


@pytest.mark.django_db
def test_wechat_qr_code_is_asked_for_once_with_a_signed_request(user, providers):
    order = _order(user, "wechat", 1000)
    assert providers.seen == []
    code = services.topup_pay_code(order=order, site_url=SITE)
    assert code.startswith("weixin://wxpay/bizpayurl?pr=")
    assert services.topup_pay_code(order=order, site_url=SITE) == code
    assert providers.seen == [("POST", "/v3/pay/transactions/native", True)]


@pytest.mark.django_db
def test_queries_find_lost_payments_and_ignore_wrong_amounts(user, providers):
    wechat, alipay = _order(user, "wechat", 3000), _order(user, "alipay", 3000)
    assert services.topup_query(order=wechat) == "unknown"
    providers.wechat[wechat.number] = pf.wechat_transaction(wechat.number, 2999)
    assert services.topup_query(order=wechat) == "amount_mismatch"
    providers.wechat[wechat.number] = pf.wechat_transaction(wechat.number, 3000)
    assert services.topup_query(order=wechat) == "credited"
    assert services.topup_query(order=alipay) == "unknown"
    providers.alipay[alipay.number] = {"trade_status": "TRADE_SUCCESS", "total_amount": "30.00"}
    assert services.topup_query(order=alipay, throttle=True) == "throttled"
    TopupOrder.objects.filter(pk=alipay.pk).update(queried_at=None)
    assert services.topup_query(order=alipay, throttle=True) == "credited"
    assert balance_of_user(user=user) == 6000
    assert all(ok for _m, _p, ok in providers.seen)


@pytest.mark.django_db
def test_a_query_answer_with_a_bad_signature_is_not_trusted(user, providers, settings):
    order = _order(user, "alipay", 1000)
    providers.alipay[order.number] = {"trade_status": "TRADE_SUCCESS", "total_amount": "10.00"}
    conf = dict(settings.WENYUAN_ALIPAY)
    conf["public_key"] = pf.public_base64(pf.rsa_key("someone-else"))
    settings.WENYUAN_ALIPAY = conf
    with pytest.raises(ProviderUnavailable) as caught:
        services.topup_query(order=order)
    assert caught.value.code == "bad_signature"
    order.refresh_from_db()
    assert order.status == "created"


# -- configuration ----------------------------------------------------------------------


def test_keys_are_read_in_every_common_format(settings):
    from cryptography.hazmat.primitives import serialization

    from wenyuan.commerce.payments.crypto import rsa_private_key, rsa_public_key
    from wenyuan.config import ConfigError

    key = pf.rsa_key("formats")
    pkcs1 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    bare = "".join(pf.private_pem(key).strip().splitlines()[1:-1])
    for text in (pf.private_pem(key), pkcs1, bare):
        assert rsa_private_key(text, setting="X").private_numbers() == key.private_numbers()
    cert = pf.certificate_pem(pf.platform_certificate())
    for text in (pf.public_pem(key), pf.public_base64(key)):
        assert (
            rsa_public_key(text, setting="X").public_numbers() == key.public_key().public_numbers()
        )
    assert rsa_public_key(cert, setting="X")
    from cryptography.hazmat.primitives.asymmetric import rsa

    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    for text in ("not a key", pf.private_pem(weak)):
        with pytest.raises(ConfigError) as caught:
            rsa_private_key(text, setting="WENYUAN_ALIPAY_PRIVATE_KEY")
        assert "WENYUAN_ALIPAY_PRIVATE_KEY" in str(caught.value)
        assert "PRIVATE KEY-----" not in str(caught.value)


def test_a_half_configured_provider_is_off_and_the_system_check_says_why(settings):
    from wenyuan.commerce.payments.checks import payments_checks

    settings.WENYUAN_ALIPAY = {
        "app_id": "2021000000000001",
        "private_key": "",
        "public_key": "",
        "seller_id": "",
        "gateway": "https://openapi.alipay.com/gateway.do",
    }
    settings.WENYUAN_TESTPAY = {"enabled": True, "key": ""}
    assert get_provider("alipay") is None
    found = {c.id: c.msg for c in payments_checks(None)}
    assert "WENYUAN_ALIPAY_PRIVATE_KEY" in found["wenyuan.E010"]
    assert "wenyuan.W010" in found


def test_the_worker_finds_the_periodic_sweep():
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")
    names = {task.__name__ for task in HUEY._registry._periodic_tasks}
    assert any(name.endswith("topups_sweep_task") for name in names), names
    assert any(name.endswith("search_catch_up_task") for name in names), names


def test_money_is_converted_without_floats(settings):
    from wenyuan.commerce.payments.amounts import fen_from_yuan, fen_step, points_for, yuan_text

    assert [fen_from_yuan(t) for t in ("12.34", "12", "12.3", "0.01", "0")] == [
        1234,
        1200,
        1230,
        1,
        0,
    ]
    for junk in ("12.345", "-1", "1e3", " 12", "１２", "012", "12.", "", "NaN", "0x10", None):
        assert fen_from_yuan(junk) is None, junk
    assert [yuan_text(f) for f in (1, 100, 1234, 500000)] == ["0.01", "1.00", "12.34", "5000.00"]
    settings.WENYUAN_TOPUP_POINTS_PER_YUAN = 10
    assert (points_for(1000), points_for(1005), fen_step()) == (100, None, 10)


@pytest.mark.django_db
def test_a_serial_with_leading_zeros_names_the_same_certificate(user, providers):
    order = _order(user, "wechat", 1000)
    serial = "00" + pf.serial_of(pf.platform_certificate()).lower()
    headers, body = pf.wechat_notification(pf.wechat_transaction(order.number, 1000), serial=serial)
    assert _notify("wechat", headers, body).outcome == "credited"


@pytest.mark.django_db
def test_staff_see_orders_in_the_admin_and_can_only_fail_unpaid_ones(
    user, staff, providers, client_for
):
    unpaid, credited = _order(user), _order(user, "testpay", 500)
    _notify("testpay", *pf.testpay_notification(credited.number, 500))
    admin = client_for(staff)
    listing = admin.get("/admin/commerce/topuporder/")
    assert listing.status_code == 200 and unpaid.number in listing.content.decode()
    page = admin.get(f"/admin/commerce/topuporder/{unpaid.pk}/change/")
    assert page.status_code == 200 and b'name="amount"' not in page.content  # read-only
    admin.post(
        "/admin/commerce/topuporder/",
        {"action": "mark_failed", "_selected_action": [unpaid.pk, credited.pk]},
    )
    unpaid.refresh_from_db(), credited.refresh_from_db()
    assert (unpaid.status, credited.status) == ("failed", "credited")
    event = unpaid.events.last()
    assert (event.actor, event.actor_kind) == (staff, "staff")
    assert client_for(user).get("/admin/commerce/topuporder/").status_code == 302
