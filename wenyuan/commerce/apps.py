from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "wenyuan.commerce"
    label = "commerce"
    verbose_name = "commerce"

    def ready(self):
        from wenyuan.commerce import receivers
        from wenyuan.commerce.payments import checks  # noqa: F401  (registers the checks)

        receivers.connect()
        from wenyuan.commerce.metrics import purchase_metrics
        from wenyuan.core.metrics import source_register

        source_register("purchases", purchase_metrics)
