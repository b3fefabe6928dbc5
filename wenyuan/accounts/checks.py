"""System checks for the HTTPS switch and the trusted proxies."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register()
def security_checks(app_configs, **kwargs):
    problems = []
    proxies = settings.WENYUAN_TRUSTED_PROXIES
    if settings.WENYUAN_HTTPS and not proxies:
        problems.append(
            Warning(
                "WENYUAN_HTTPS is on but WENYUAN_TRUSTED_PROXIES is empty: X-Forwarded-Proto "
                "from the TLS proxy is ignored, so requests do not count as HTTPS (no HSTS, "
                "and log-ins may fail the CSRF check).",
                hint="List the proxy's address, for nginx on this machine: "
                "WENYUAN_TRUSTED_PROXIES=127.0.0.1,::1",
                id="wenyuan.W101",
            )
        )
    if any(network.prefixlen == 0 for network in proxies):
        problems.append(
            Warning(
                "WENYUAN_TRUSTED_PROXIES trusts every address: any client can then choose "
                "its own address (X-Forwarded-For) and claim HTTPS (X-Forwarded-Proto).",
                hint="List only the addresses of your reverse proxies.",
                id="wenyuan.W102",
            )
        )
    return problems
