"""System checks for the payment providers: misconfigured ones, and the test provider."""

from django.core.checks import Error, Warning, register


@register()
def payments_checks(app_configs, **kwargs):
    from django.conf import settings

    from wenyuan.commerce.payments.base import provider_problems

    problems = [
        Error(
            f"Payment provider {name} is configured but cannot work, so it is off: {what}",
            id="wenyuan.E010",
        )
        for name, what in provider_problems()
    ]
    if settings.WENYUAN_TESTPAY["enabled"]:
        problems.append(
            Warning(
                "WENYUAN_TESTPAY is on: anyone with an account can top up without paying. "
                "Turn it off on a real site.",
                id="wenyuan.W010",
            )
        )
    return problems
