from django.apps import AppConfig


class ConversionConfig(AppConfig):
    name = "wenyuan.conversion"
    label = "conversion"
