"""LibreOffice profiles for documents nobody vouches for."""

from __future__ import annotations

from pathlib import Path

# LibreOffice settings for documents nobody vouches for: no fetching of linked content.
# A DOCX can link an image by URL (r:link, TargetMode="External"); LibreOffice would fetch
# it while converting, from the server's network (SSRF) or its files.  Linked images are
# refused unless the document is in a trusted location (there are none), links are never
# updated on load, and anything that still asks for HTTP goes to a proxy that is not there.
_HARDENING = {
    "/org.openoffice.Office.Common/Security/Scripting": {
        "BlockUntrustedRefererLinks": ("boolean", "true"),
        "MacroSecurityLevel": ("int", "3"),
        "DisableMacrosExecution": ("boolean", "true"),
    },
    "/org.openoffice.Office.Writer/Content/Update": {"Link": ("int", "0")},
    "/org.openoffice.Office.Calc/Content/Update": {"Link": ("int", "0")},
    "/org.openoffice.Inet/Settings": {
        "ooInetProxyType": ("int", "1"),
        "ooInetHTTPProxyName": ("string", "127.0.0.1"),
        "ooInetHTTPProxyPort": ("int", "9"),
        "ooInetHTTPSProxyName": ("string", "127.0.0.1"),
        "ooInetHTTPSProxyPort": ("int", "9"),
        "ooInetNoProxy": ("string", ""),
    },
}


def profile_harden(profile: Path) -> None:
    """Write the hardening settings into a LibreOffice profile folder (before it starts)."""
    items = []
    for path, props in _HARDENING.items():
        for name, (kind, value) in props.items():
            items.append(
                f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse" '
                f'oor:type="xs:{kind}"><value>{value}</value></prop></item>'
            )
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        + "\n".join(items)
        + "\n</oor:items>\n",
        encoding="utf-8",
    )
