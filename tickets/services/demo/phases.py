"""How long each phase of a seed took, in wall-clock and CPU seconds, so that a slow
seed shows where its time went. The CPU of the worker processes is counted once
they have been joined (the children's resource usage)."""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class PhaseTimes:
    # (phase, wall seconds, CPU seconds of this process and its joined children)
    phases: list[tuple[str, float, float]] = field(default_factory=list)
    # Summed over the worker processes' batches, by what they did.
    worker_seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        wall, cpu = time.monotonic(), _cpu_seconds()
        try:
            yield
        finally:
            self.phases.append((name, time.monotonic() - wall, _cpu_seconds() - cpu))

    def lines(self) -> list[str]:
        lines = [f"{name:<28}{wall:8.1f} s wall {cpu:8.1f} s CPU" for name, wall, cpu in self.phases]
        return lines + [f"  workers' {name:<26}{seconds:8.1f} s" for name, seconds in self.worker_seconds.items()]
