"""Callbacks for :func:`course_utils.training.loop.run`: what watches a run without being part of its steps.

- :class:`StepSnapshots` / :class:`EpochSnapshots`: samples from fixed inputs, in eval mode, at chosen steps or
  every few epochs (before training too);
- :class:`StepEvaluation` / :class:`EpochEvaluation`: a metric function every few steps, or after each epoch,
  with early stopping (:class:`KeepBest`) on one of its metrics;
- :class:`EpochSchedule`: a learning-rate schedule stepped once per epoch;
- :class:`Clock`: the run's seconds, at the end or after each epoch.
"""

from __future__ import annotations

import copy
import time
from typing import Any, Callable, Iterable

import torch
from torch import nn

from .loop import Callback, LoopState, in_eval_mode, no_grad_eval


def spread_steps(steps: int, n: int) -> list[int]:
    """``n`` evenly spread steps from 0 (before training) to ``steps`` (after the last step)."""
    if n <= 1:
        return [steps]
    return sorted({round(i * steps / (n - 1)) for i in range(n)})


class StepSnapshots(Callback):
    """``history.snapshots[step] = model(*inputs)`` (on the CPU) at each step of ``at`` (0: before training)."""

    def __init__(self, model: nn.Module, inputs: tuple, at: Iterable[int]):
        self.model, self.inputs, self.at = model, inputs, set(at)

    def on_start(self, state: LoopState) -> None:
        state.history.setdefault("snapshots", {})
        self.on_step(state, 0)

    def on_step(self, state: LoopState, step: int) -> None:
        if step in self.at:
            state.history.snapshots[step] = no_grad_eval(self.model, lambda: self.model(*self.inputs).detach().cpu())


class StepEvaluation(Callback):
    """``history.evals += [{"step": s, **evaluate(model, s)}]`` every ``every`` steps, at 0 and after the last."""

    def __init__(self, model: nn.Module, evaluate: Callable[[nn.Module, int], dict], every: int, last: int):
        self.model, self.evaluate, self.every, self.last = model, evaluate, every, last

    def on_start(self, state: LoopState) -> None:
        state.history.setdefault("evals", [])
        self.on_step(state, 0)

    def on_step(self, state: LoopState, step: int) -> None:
        if step % self.every == 0 or step == self.last:
            state.history.evals.append({"step": step, **in_eval_mode(self.model, lambda: self.evaluate(self.model, step))})


class EpochEvaluation(Callback):
    """``history["epoch_<name>"]`` from ``evaluate(model, epoch)`` after each epoch; leaves the model in eval mode."""

    def __init__(self, model: nn.Module, evaluate: Callable[[nn.Module, int], dict | None]):
        self.model, self.evaluate = model, evaluate

    def on_epoch(self, state: LoopState, epoch: int) -> None:
        self.model.eval()
        for name, value in (self.evaluate(self.model, epoch) or {}).items():
            state.history.setdefault(f"epoch_{name}", []).append(float(value))


class KeepBest(Callback):
    """Early stopping: after the last epoch, the weights of the epoch with the highest ``epoch_<metric>``
    (``history["best_epoch"]`` says which). Runs after the :class:`EpochEvaluation` that records the metric."""

    def __init__(self, model: nn.Module, metric: str):
        self.model, self.key = model, f"epoch_{metric}"
        self.best_value, self.best_state = float("-inf"), None

    def on_epoch(self, state: LoopState, epoch: int) -> None:
        if self.key not in state.history:
            raise KeyError(f"keep_best={self.key[6:]!r} but on_epoch_end returned no such metric")
        if state.history[self.key][-1] > self.best_value:
            self.best_value = state.history[self.key][-1]
            self.best_state = copy.deepcopy(self.model.state_dict())
            state.history["best_epoch"] = [epoch]

    def on_end(self, state: LoopState) -> None:
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)


class EpochSnapshots(Callback):
    """``history["snapshots"]`` from ``sample(model)`` (eval mode, no gradients) before training, every ``every``
    epochs and after the last; their epochs in ``history["snapshot_epochs"]``."""

    def __init__(self, model: nn.Module, sample: Callable[[nn.Module], torch.Tensor], every: int):
        self.model, self.sample, self.every = model, sample, max(1, every)

    def on_start(self, state: LoopState) -> None:
        self.on_epoch(state, 0)

    def on_epoch(self, state: LoopState, epoch: int) -> None:
        if epoch % self.every and epoch != state.epochs:
            return
        state.history.setdefault("snapshots", []).append(no_grad_eval(self.model, lambda: self.sample(self.model).detach().cpu()))
        state.history.setdefault("snapshot_epochs", []).append(epoch)


class EpochSchedule(Callback):
    """A learning-rate schedule stepped after each epoch."""

    def __init__(self, scheduler: Any):
        self.scheduler = scheduler

    def on_epoch(self, state: LoopState, epoch: int) -> None:
        self.scheduler.step()


class Clock(Callback):
    """``history.seconds``: the run's seconds at the end, or (``per_epoch``) a list, one entry per epoch so far."""

    def __init__(self, per_epoch: bool = False):
        self.per_epoch = per_epoch

    def on_epoch(self, state: LoopState, epoch: int) -> None:
        if self.per_epoch:
            state.history.setdefault("seconds", []).append(time.perf_counter() - state.start)

    def on_end(self, state: LoopState) -> None:
        if not self.per_epoch:
            state.history.seconds = time.perf_counter() - state.start
