from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "wenyuan.library"
    label = "library"
