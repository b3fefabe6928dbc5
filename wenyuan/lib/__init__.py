"""Django-free libraries: pure functions the apps build on (nothing here imports an app)."""
