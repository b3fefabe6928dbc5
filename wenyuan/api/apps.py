from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "wenyuan.api"
    label = "api"
