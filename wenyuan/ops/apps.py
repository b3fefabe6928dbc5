from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running a site: bulk import, file checks, backup and restore (docs/backup-import.md).

    The top layer: it uses the library's services and the core's storage, and nothing
    below imports it."""

    name = "wenyuan.ops"
    label = "ops"
