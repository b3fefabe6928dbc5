from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "wenyuan.core"
    label = "core"

    def ready(self):
        from wenyuan.core import checks  # noqa: F401
