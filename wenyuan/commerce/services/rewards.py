"""Rewards in the style of moredoc: registering, the daily sign-in (签到) with streaks, and a
published upload.  Each is paid from the promotions account, so the books show what the
rewards cost, and each has a daily cap (per user; for registering, over the whole site).

Idempotent by the ledger key: ``reward:register:<user>``, ``reward:signin:<user>:<day>``,
``reward:upload:<document>``; signing in twice a day pays once, a document processed
again does not pay its upload reward twice.  Days are the site's local days (TIME_ZONE).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wenyuan.commerce import errors
from wenyuan.commerce.ledger import AlreadyPosted, account_of_user, account_system, ledger_post
from wenyuan.commerce.models import AccountKind, LedgerTransaction, RewardDay, SignIn
from wenyuan.core.rules import Reward, money_rules
from wenyuan.library.models import Document, Status

log = logging.getLogger(__name__)


def _counter(*, kind: str, subject: str, day) -> RewardDay:
    row = RewardDay.objects.select_for_update().filter(kind=kind, subject=subject, day=day).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            RewardDay.objects.create(kind=kind, subject=subject, day=day)
    except IntegrityError:  # made meanwhile by a concurrent reward
        pass
    return RewardDay.objects.select_for_update().get(kind=kind, subject=subject, day=day)


def _reward_pay(
    *, kind: str, user, rule: Reward, points: int, subject: str, key: str, memo: str, meta: dict
) -> int:
    """Pay up to ``points`` (within the day's cap) from promotions; the points paid."""
    if points <= 0 or LedgerTransaction.objects.filter(key=key).exists():
        return 0
    day = timezone.localdate()
    try:
        with transaction.atomic():
            counter = _counter(kind=kind, subject=subject, day=day)
            pay = min(points, rule.daily_cap - counter.points)
            if pay <= 0:
                return 0
            RewardDay.objects.filter(pk=counter.pk).update(points=F("points") + pay)
            ledger_post(
                kind=LedgerTransaction.Kind.REWARD,
                lines=[
                    (account_system(kind=AccountKind.PROMOTIONS), -pay),
                    (account_of_user(user=user), pay),
                ],
                memo=memo,
                key=key,
                meta={"reward": kind, "user_id": user.pk, **meta},
            )
    except AlreadyPosted:
        return 0
    return pay


def reward_register(*, user) -> int:
    """The registration reward (site-wide daily cap)."""
    rule = money_rules().register
    return _reward_pay(
        kind="register",
        user=user,
        rule=rule,
        points=rule.points,
        subject="site",
        key=f"reward:register:{user.pk}",
        memo="registration reward",
        meta={},
    )


def reward_signin(*, user) -> SignIn:
    """Sign in for today: once a day; the streak goes on if yesterday was signed in too."""
    rule = money_rules().signin
    today = timezone.localdate()
    with transaction.atomic():
        yesterday = SignIn.objects.filter(user=user, day=today - timedelta(days=1)).first()
        streak = yesterday.streak + 1 if yesterday else 1
        try:
            with transaction.atomic():
                signin = SignIn.objects.create(user=user, day=today, streak=streak)
        except IntegrityError:
            raise errors.conflict(
                "already_signed_in", _("You have signed in today already. Come back tomorrow!")
            ) from None
        points = min(rule.points + rule.streak * (streak - 1), rule.daily_cap) if rule.points else 0
        signin.points = _reward_pay(
            kind="signin",
            user=user,
            rule=rule,
            points=points,
            subject=f"user:{user.pk}",
            key=f"reward:signin:{user.pk}:{today.isoformat()}",
            memo=f"daily sign-in, day {streak}",
            meta={"day": today.isoformat(), "streak": streak},
        )
        SignIn.objects.filter(pk=signin.pk).update(points=signin.points)
    return signin


def reward_upload(*, document_id: int) -> int:
    """The reward for a published upload, once per document (daily cap per uploader)."""
    document = Document.objects.select_related("owner").filter(pk=document_id).first()
    if document is None or document.status != Status.PUBLISHED:
        return 0
    rule = money_rules().upload
    return _reward_pay(
        kind="upload",
        user=document.owner,
        rule=rule,
        points=rule.points,
        subject=f"user:{document.owner_id}",
        key=f"reward:upload:{document.pk}",
        memo=f"upload reward: document {document.pk}",
        meta={"document_id": document.pk},
    )


def reward_safely(reward, **kwargs) -> int:
    """Run a reward from a signal: a reward that fails must never fail what caused it."""
    try:
        return reward(**kwargs)
    except Exception:
        log.exception("reward %s failed for %s", getattr(reward, "__name__", reward), kwargs)
        return 0
