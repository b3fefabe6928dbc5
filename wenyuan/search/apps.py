from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "wenyuan.search"
    label = "search"
