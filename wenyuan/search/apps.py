from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "wenyuan.search"
    label = "search"

    def ready(self):
        from wenyuan.search import signals  # noqa: F401  (registers the receivers)
