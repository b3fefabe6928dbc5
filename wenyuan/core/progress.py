"""Progress bars for commands: core functions report ``progress(done, total)``, and only the
command that runs them draws anything.

On a terminal the bar is tqdm's (count, rate, elapsed and the time left); when the output
is a file or a pipe (a log, CI) it is a plain line at every tenth of the way instead of
terminal control characters.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class ProgressBar:
    """A ``progress(done, total)`` callback that draws on ``stream``."""

    def __init__(self, label: str, *, stream: TextIO | None = None):
        self.label = label
        self.stream = stream or sys.stderr
        self.terminal = self.stream.isatty()
        self._bar = None
        self._tenth = -1

    def __call__(self, done: int, total: int) -> None:
        if self.terminal:
            self._draw(done, total)
            return
        tenth = 10 * done // total if total else 10
        if tenth > self._tenth:
            self._tenth = tenth
            percent = 100 * done // total if total else 100
            print(f"{self.label}: {done}/{total} ({percent}%)", file=self.stream, flush=True)

    def _draw(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.label, unit="doc", file=self.stream)
        if self._bar.total != total:
            self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@contextmanager
def progress_bar(label: str, *, stream: TextIO | None = None) -> Iterator[ProgressBar]:
    bar = ProgressBar(label, stream=stream)
    try:
        yield bar
    finally:
        bar.close()
