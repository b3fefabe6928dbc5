"""The counters under the limits: sliding windows, Retry-After, and no overdraft when many
processes take from one allowance at once (real processes, real database)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from django.db import connection

from wenyuan.accounts import counters
from wenyuan.accounts.models import RateCounter
from wenyuan.testing import child_env, run


@pytest.mark.django_db
def test_a_limit_does_not_forget_at_a_window_boundary():
    for _ in range(5):
        counters.counter_add(scope="t", subject="s", period=3600)
    # Move those five into the previous window, as if the hour had just turned.
    RateCounter.objects.update(window=RateCounter.objects.get().window - 3600)
    counted = counters.counter_get(scope="t", subject="s", period=3600)
    assert counted.current == 0 and counted.previous == 5
    share = 1 - (counted.now - counted.start) / 3600  # of the previous hour, still covered
    assert counted.count == math.ceil(5 * share - 1e-9) > 0  # a fixed window would say 0


@pytest.mark.django_db
def test_retry_after_is_when_the_allowance_fits_again():
    rate = (3, 600)
    assert all(counters.counter_take(scope="t", subject="a", rate=rate).ok for _ in range(3))
    refused = counters.counter_take(scope="t", subject="a", rate=rate)
    assert not refused.ok and refused.count.current == 3, "a refusal takes nothing"
    left = refused.count
    assert 0 < refused.retry_after <= 2 * 600

    def at(seconds):  # the count ``seconds`` from now, if nothing is added
        moment = left.now + seconds
        start = counters._window(left.period, moment)
        if start == left.start:
            return counters.Count(left.current, left.previous, start, left.period, 0, moment).count
        return counters.Count(0, left.current, start, left.period, 0, moment).count

    # At the moment Retry-After names, one more fits; two seconds earlier it does not.
    assert at(refused.retry_after) + 1 <= 3
    assert at(refused.retry_after - 2) + 1 > 3


RACE = """
import os, sys, django
os.environ["DJANGO_SETTINGS_MODULE"] = "wenyuan.settings"
django.setup()
from wenyuan.accounts.counters import counter_take
print(sum(counter_take(scope="race", subject="one", rate=(25, 3600)).ok for _ in range(10)))
"""


@pytest.mark.django_db(transaction=True)
def test_many_processes_never_overdraw_one_allowance(tmp_path):
    env = child_env(tmp_path / "home")
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    else:
        run(["manage", "migrate", "-v0"], env)
    children = [
        subprocess.Popen([sys.executable, "-c", RACE], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    granted = [int(child.communicate(timeout=120)[0]) for child in children]
    assert all(child.returncode == 0 for child in children)
    assert sum(granted) == 25, granted  # 60 attempts, an allowance of 25: exactly 25 pass
