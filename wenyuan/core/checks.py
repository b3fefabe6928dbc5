"""System checks: writable folders, the converter binary, the warm converter pool, the sandbox."""

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

    soffice = soffice_path()
    if soffice is None:
        problems.append(
            Warning(
                f"LibreOffice ({settings.WENYUAN_SOFFICE}) was not found: Office documents cannot be "
                "converted. Install it (Debian: apt-get install libreoffice-nogui).",
                id="wenyuan.W001",
            )
        )
    elif settings.WENYUAN_CONVERTER == "pool":
        from wenyuan.conversion.lopool import uno_python

        if uno_python(settings.WENYUAN_UNO_PYTHON, soffice) is None:
            tried = settings.WENYUAN_UNO_PYTHON or "LibreOffice's own Python and /usr/bin/python3"
            problems.append(
                Warning(
                    f"WENYUAN_CONVERTER=pool, but no Python can import LibreOffice's uno module "
                    f"(tried {tried}): the warm pool is off and every Office document starts "
                    "LibreOffice anew (about a second more each). Install it (Debian: apt-get "
                    "install python3-uno) or point WENYUAN_UNO_PYTHON at a Python that has it.",
                    id="wenyuan.W002",
                )
            )
    problems += _sandbox_checks()
    return problems


def _sandbox_checks():
    from wenyuan.conversion.sandbox import sandbox_problem

    problem = sandbox_problem()
    if not problem:
        return []
    return [
        Warning(
            f"Converter children run without the sandbox ({problem}): LibreOffice, the page "
            "renderer, Tesseract and the preprocessing children keep their process groups, "
            "time, memory and output limits and a scrubbed environment, but can reach the "
            "network and read the files this user can. Install bubblewrap (Debian: apt-get "
            "install bubblewrap) on a kernel that allows user namespaces; see "
            "docs/containment.md.",
            id="wenyuan.W003",
        )
    ]
