"""Thin queue tasks for commerce, found by the worker's task discovery."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from wenyuan.commerce.payments.tasks import topups_sweep_task  # noqa: F401


@db_periodic_task(crontab(minute="17"))
def referrals_prune_task() -> None:
    """Forget share-link visits older than the referral window (hourly)."""
    from wenyuan.commerce.services import referrals_prune

    referrals_prune()


@db_periodic_task(crontab(day="1", hour="3", minute="23"))
def vip_settle_task() -> None:
    """Settle the VIP pool of every month that is over and not settled yet (monthly; a
    month missed while the site was down is settled the next time)."""
    from wenyuan.commerce.services import vip_settle_due

    vip_settle_due()
