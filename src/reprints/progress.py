"""Progress reporting: engines call ``stage()`` and ``advance()``; what a person sees is up to
the reporter (rich bars on a terminal, nothing from the Python API by default)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator


class Reporter:
    """Records wall time per stage; shows nothing."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "") -> Iterator["Reporter"]:
        start = time.perf_counter()
        self._open(name, total, unit)
        try:
            yield self
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start
            self._close(name)

    def advance(self, amount: int = 1) -> None:
        pass

    def _open(self, name: str, total: int | None, unit: str) -> None:
        pass

    def _close(self, name: str) -> None:
        pass


class RichReporter(Reporter):
    """A rich progress bar per stage, on stderr."""

    def __init__(self, console=None) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn)

        self.console = console or Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description:<12}"), BarColumn(),
            MofNCompleteColumn(), TextColumn("{task.fields[unit]}"), TimeElapsedColumn(),
            console=self.console, transient=False,
        )
        self._task = None

    def _open(self, name: str, total: int | None, unit: str) -> None:
        if not self.progress.live.is_started:
            self.progress.start()
        self._task = self.progress.add_task(name, total=total, unit=unit)

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self.progress.advance(self._task, amount)

    def _close(self, name: str) -> None:
        if self._task is not None:
            task = self.progress.tasks[self._task]
            if task.total is None:
                self.progress.update(self._task, total=task.completed)
            else:
                self.progress.update(self._task, completed=task.total)
        self._task = None

    def stop(self) -> None:
        if self.progress.live.is_started:
            self.progress.stop()
