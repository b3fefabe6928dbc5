"""System checks, run for real: the warm converter pool needs a Python with LibreOffice's
``uno`` module, and ``manage check`` says so when there is none."""

import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from wenyuan.conftest import needs_soffice
from wenyuan.core.checks import wenyuan_checks

pytestmark = needs_soffice


def _ids() -> list[str]:
    return [problem.id for problem in wenyuan_checks(None)]


def test_a_pool_without_uno_is_reported(settings, capsys):
    settings.WENYUAN_CONVERTER = "pool"
    settings.WENYUAN_UNO_PYTHON = sys.executable  # this virtual environment: no uno
    assert "wenyuan.W002" in _ids()
    try:
        call_command("check", fail_level="ERROR")
    except SystemCheckError:  # an error elsewhere would be another test's business
        pytest.fail("a missing uno module is a warning, not an error")
    assert "uno" in capsys.readouterr().err


def test_a_pool_with_uno_or_the_cold_converter_is_not_reported(settings):
    from wenyuan.conversion.lopool import uno_python
    from wenyuan.conversion.office import soffice_path

    settings.WENYUAN_CONVERTER = "cold"
    settings.WENYUAN_UNO_PYTHON = sys.executable
    assert "wenyuan.W002" not in _ids()
    settings.WENYUAN_CONVERTER = "pool"
    settings.WENYUAN_UNO_PYTHON = ""
    if uno_python("", soffice_path()) is None:
        pytest.skip("no Python with LibreOffice's uno module on this machine")
    assert "wenyuan.W002" not in _ids()


def test_the_sandbox_is_reported_only_when_children_run_without_it(settings, capsys):
    from wenyuan.conversion.sandbox import sandbox_problem

    settings.WENYUAN_SANDBOX = "off"
    assert "wenyuan.W003" in _ids()
    call_command("check")
    assert "without the sandbox (WENYUAN_SANDBOX=off)" in capsys.readouterr().err
    settings.WENYUAN_SANDBOX = "auto"
    if sandbox_problem():
        assert "wenyuan.W003" in _ids()  # and it says why: bwrap missing or refused
    else:
        assert "wenyuan.W003" not in _ids()
