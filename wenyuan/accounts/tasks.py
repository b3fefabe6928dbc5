"""Thin queue tasks for accounts."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/10"))
def accounts_prune_task() -> None:
    from wenyuan.accounts.services import accounts_prune

    accounts_prune()
