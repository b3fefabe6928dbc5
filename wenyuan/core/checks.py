"""System checks: writable folders and the converter binary."""

import os

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def wenyuan_checks(app_configs, **kwargs):
    problems = []
    if not os.access(settings.HOME, os.W_OK):
        problems.append(
            Error(f"WENYUAN_HOME ({settings.HOME}) is not writable.", id="wenyuan.E001")
        )
    from wenyuan.conversion.office import soffice_path

    if soffice_path() is None:
        problems.append(
            Warning(
                f"LibreOffice ({settings.WENYUAN_SOFFICE}) was not found: Office documents cannot be "
                "converted. Install it (Debian: apt-get install libreoffice-nogui).",
                id="wenyuan.W001",
            )
        )
    return problems
