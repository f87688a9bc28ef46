"""Per-step numbers recorded without stalling a GPU.

``float(loss)`` after every step makes the host wait for the device to finish that step, which on a GPU
costs more than the small networks of this course take to train. :class:`StepLog` keeps the values as
tensors where they were computed and moves them to the host in chunks (one synchronisation per
``chunk`` steps, and at the end); on a CPU this is the same work as before.
"""

from __future__ import annotations

from collections import defaultdict

import torch


class StepLog:
    """Append scalars (tensors or numbers) by name; :meth:`flush` turns them into plain floats in ``into``."""

    def __init__(self, into: dict[str, list[float]] | None = None, chunk: int = 200):
        self.into = into if into is not None else {}
        self.chunk = max(1, int(chunk))
        self._pending: dict[str, list] = defaultdict(list)
        self._count = 0

    def append(self, name: str, value) -> None:
        if torch.is_tensor(value):
            value = value.detach().reshape(())
        self._pending[name].append(value)

    def step_done(self) -> None:
        """Count a step; flush every ``chunk`` steps."""
        self._count += 1
        if self._count % self.chunk == 0:
            self.flush()

    def flush(self) -> dict[str, list[float]]:
        for name, values in self._pending.items():
            tensors = [v for v in values if torch.is_tensor(v)]
            host = iter(torch.stack([t.float() for t in tensors]).cpu().tolist()) if tensors else iter(())
            self.into.setdefault(name, []).extend(next(host) if torch.is_tensor(v) else float(v) for v in values)
        self._pending.clear()
        return self.into
