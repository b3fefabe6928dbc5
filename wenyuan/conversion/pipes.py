"""Reading a helper process's replies, one line at a time, with a deadline.

The LibreOffice bridge (``lopool``) and the page renderer (``renderers``) both answer in
JSON lines on their stdout; a reply that does not come in time means the helper is stuck.
"""

from __future__ import annotations

import os
import select
import time
from typing import IO


class ReplyTimeout(Exception):
    """No complete line before the deadline."""


class LineReader:
    def __init__(self, stream: IO[bytes]):
        self.fd = stream.fileno()
        self.buffer = b""

    def line(self, deadline: float) -> bytes | None:
        """The next line without its newline; None once the process closed its end."""
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReplyTimeout
            # Short slices keep the thread responsive to interruption.
            ready, _, _ = select.select([self.fd], [], [], min(remaining, 0.5))
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    return None
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line
