from django.apps import AppConfig


class ConversionConfig(AppConfig):
    name = "wenyuan.conversion"
    label = "conversion"

    def ready(self):
        from wenyuan.conversion import checks  # noqa: F401  (registers the formats check)
        from wenyuan.conversion.services import on_status_changed
        from wenyuan.library.lifecycle import document_status_changed

        document_status_changed.connect(on_status_changed, dispatch_uid="conversion-job-request")

        from wenyuan.conversion.metrics import processing_metrics
        from wenyuan.core.metrics import source_register

        source_register("processing", processing_metrics)
