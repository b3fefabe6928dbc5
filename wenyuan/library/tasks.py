"""Thin queue tasks for the library."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="*/6", minute="17"))
def visits_prune_task() -> None:
    from wenyuan.library.services import visits_prune

    visits_prune()
