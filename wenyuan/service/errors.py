"""The one refusal the service app raises, worded for a person; views and the API turn it
into a message or ``{"error": {"code", "message"}}``."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, code: str, message, status: int = 400):
        super().__init__(str(message))
        self.code, self.message, self.status = code, message, status
