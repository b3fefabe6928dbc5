from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wenyuan.accounts"
    label = "accounts"

    def ready(self):
        from wenyuan.accounts import checks  # noqa: F401
