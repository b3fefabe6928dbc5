"""Thin queue tasks for search."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/5"))
def search_catch_up_task() -> None:
    from wenyuan.search.services import keyword_stats_refresh, search_catch_up

    search_catch_up()
    keyword_stats_refresh()
