from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wenyuan.accounts"
    label = "accounts"
