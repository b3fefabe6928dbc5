"""System check ``wenyuan.W020``: a format family whose tool is missing is off."""

from __future__ import annotations

from django.core.checks import Warning, register


@register()
def formats_check(app_configs, **kwargs):
    from wenyuan.conversion.formats import families

    problems = []
    for family in families():
        problem = family.problem()
        if problem:
            keys = ", ".join(fmt.key for fmt in family.formats)
            problems.append(
                Warning(
                    f"{family.label} ({keys}) is off: {problem}. Uploads of these formats are "
                    "refused with that message and the upload page does not list them.",
                    id="wenyuan.W020",
                )
            )
    return problems
