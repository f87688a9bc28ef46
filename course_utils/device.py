"""Device and precision: the one place that decides where and how the notebooks train.

- :func:`get_device`: a CUDA GPU when present, else Apple's GPU (MPS), else the CPU.
  ``COURSE_DEVICE`` overrides the choice (for example ``cpu`` to compare timings on a GPU machine).
- :func:`training_precision`: how the training loops (``course_utils.training``) run their forward and
  backward passes:

  * bfloat16 autocast where it is *measured* to pay: a CUDA GPU with native bfloat16 (Ampere or newer),
    or a CPU whose bfloat16 matrix products are at least 1.25x as fast as its float32 ones. Having the
    instructions is not enough: on one Xeon with AVX512-BF16 (no AMX) bfloat16 products ran at a third of
    the float32 speed (``benchmarks/results/training-*.md``), so a CPU that advertises bfloat16 is checked
    by a half-second probe, once per machine and torch version (cached in ``COURSE_CACHE_DIR``); a CPU
    without the instructions, Apple's GPU and older CUDA GPUs train in float32;
  * on the CPU, denormal numbers flushed to zero during training (``torch.set_flush_denormal``): a GRU
    whose gradients vanish through time produced denormals that made its float32 backward pass 5x slower
    (measured), and values below 1.2e-38 carry no information for training;

  ``COURSE_PRECISION=float32`` switches both off (plain float32, denormals kept);
  ``COURSE_PRECISION=bfloat16`` forces bfloat16 (for benchmarks).

Reduced precision applies to the training loops only. Graded functions are tested in float32 (the
test cells never enter an autocast region), losses are computed in float32 from the models' outputs,
and the weights stay float32 (autocast casts the inputs of matrix products, not the parameters).
"""

from __future__ import annotations

import contextlib
import os
import platform
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

PRECISIONS = ("auto", "float32", "bfloat16")


def get_device():
    """Return the ``torch.device`` the notebooks train on."""
    import torch

    from . import settings

    forced = settings.current().device
    if forced:
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass(frozen=True)
class Precision:
    """How a training loop runs: ``dtype`` is ``"bfloat16"`` (autocast) or ``"float32"``; ``reason`` says why;
    ``flush_denormal``: denormal numbers are flushed to zero while the loop runs (CPU only)."""

    device_type: str
    dtype: str
    reason: str
    flush_denormal: bool = False
    convolutional_only: bool = True  # see for_models; the training benchmark turns it off to measure everything

    @property
    def reduced(self) -> bool:
        return self.dtype != "float32"

    def autocast(self):
        """A context manager: bfloat16 autocast for the chosen device, or nothing for float32."""
        if not self.reduced:
            return contextlib.nullcontext()
        import torch

        return torch.autocast(device_type=self.device_type, dtype=getattr(torch, self.dtype))

    @contextlib.contextmanager
    def scope(self) -> Iterator["Precision"]:
        """Around a whole training loop: flush denormals to zero if chosen, and put the default back after."""
        if not self.flush_denormal:
            yield self
            return
        import torch

        torch.set_flush_denormal(True)
        try:
            yield self
        finally:
            torch.set_flush_denormal(False)

    def for_models(self, *models) -> "Precision":
        """This precision for a loop that trains ``models``: bfloat16 only for convolutional networks.

        Autocast pays where big convolutions dominate; the course's small MLPs and its GRU gain nothing
        measurable from it (``benchmarks/results/``), and a GRU's probabilities fed to
        ``F.binary_cross_entropy`` (notebook 02) are refused by CUDA's autocast. So a loop whose models
        have no convolution trains in float32 (denormals still flushed where chosen).
        """
        if not self.reduced or not self.convolutional_only:
            return self
        from torch import nn

        convolutional = any(isinstance(m, nn.modules.conv._ConvNd) for model in models if model is not None
                            for m in model.modules())
        if convolutional:
            return self
        return replace(self, dtype="float32", reason=f"{self.reason}; float32 here: no convolution in these models")

    def describe(self) -> str:
        ftz = ", denormals flushed to zero" if self.flush_denormal else ""
        return f"training precision on {self.device_type}: {self.dtype}{ftz} ({self.reason})"


def cpu_model() -> str:
    """The CPU's model name (Linux ``/proc/cpuinfo``), or an empty string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``); empty where they cannot be read."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_has_native_bf16(flags: set[str] | None = None, machine: str | None = None) -> bool:
    """Whether this CPU has bfloat16 instructions (x86 AVX512-BF16 or AMX-BF16): necessary for bfloat16 to
    pay, not sufficient (see :func:`measure_cpu_bf16_speedup`).

    Other CPUs (older x86, Apple silicon and other ARM chips) are answered ``False``: PyTorch's bfloat16
    kernels run there, emulated, slower than float32.
    """
    machine = (machine or platform.machine()).lower()
    if machine not in ("x86_64", "amd64"):
        return False
    flags = cpu_flags() if flags is None else flags
    return bool({"avx512_bf16", "amx_bf16"} & flags)


def choose_precision(device_type: str, *, setting: str = "auto", cuda_bf16: bool = False,
                     cpu_bf16: bool = False, cpu_bf16_speedup: float | None = None) -> Precision:
    """The choice itself, from facts passed in (so that every branch is testable on any machine).

    ``cuda_bf16``: the GPU does bfloat16 natively; ``cpu_bf16``: the CPU advertises bfloat16 instructions;
    ``cpu_bf16_speedup``: measured bfloat16 / float32 throughput of the CPU's products (None: not measured).
    """
    setting = (setting or "auto").strip().lower()
    if setting not in PRECISIONS:
        raise ValueError(f"COURSE_PRECISION must be one of {PRECISIONS}, got {setting!r}")
    ftz = device_type == "cpu"
    if setting == "float32":
        return Precision(device_type, "float32", "COURSE_PRECISION=float32")
    if setting == "bfloat16":
        if device_type not in ("cpu", "cuda"):
            raise ValueError(f"COURSE_PRECISION=bfloat16 is supported on cpu and cuda, not {device_type}")
        return Precision(device_type, "bfloat16", "COURSE_PRECISION=bfloat16", flush_denormal=ftz)
    if device_type == "cuda":
        if cuda_bf16:
            return Precision("cuda", "bfloat16", "this GPU does bfloat16 natively")
        return Precision("cuda", "float32", "this GPU has no native bfloat16 (float16 would need loss scaling)")
    if device_type == "cpu":
        if not cpu_bf16:
            return Precision("cpu", "float32", "this CPU has no bfloat16 instructions: emulated, it would be slower",
                             flush_denormal=True)
        if cpu_bf16_speedup is not None and cpu_bf16_speedup >= BF16_MIN_SPEEDUP:
            return Precision("cpu", "bfloat16", f"bfloat16 products measured {cpu_bf16_speedup:.2f}x as fast as "
                             "float32 on this CPU", flush_denormal=True)
        measured = "not measured" if cpu_bf16_speedup is None else f"measured {cpu_bf16_speedup:.2f}x"
        return Precision("cpu", "float32", f"this CPU has bfloat16 instructions but its bfloat16 products are "
                         f"not faster ({measured}, {BF16_MIN_SPEEDUP}x needed)", flush_denormal=True)
    return Precision(device_type, "float32", f"float32 on {device_type} (no autocast chosen for it)")


BF16_MIN_SPEEDUP = 1.25


def measure_cpu_bf16_speedup(seconds: float = 0.25) -> float:
    """bfloat16 / float32 throughput of this CPU on the shapes the course trains (a 64 x 1024 x 1024 matrix
    product and a 4x4 convolution of a batch of 64 feature maps, forward and backward), by timing both."""
    import time

    import torch
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(0)
    a, w = torch.randn(64, 1024, generator=gen), torch.randn(1024, 1024, generator=gen, requires_grad=True)
    x, k = torch.randn(64, 32, 14, 14, generator=gen), torch.randn(64, 32, 4, 4, generator=gen, requires_grad=True)

    def work(dtype):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == "bfloat16"):
            out = (a @ w).float().sum() + F.conv2d(x, k, stride=2, padding=1).float().sum()
        out.backward()

    def rate(dtype):
        work(dtype)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            work(dtype)
            n += 1
        return n / (time.perf_counter() - start)

    return rate("bfloat16") / rate("float32")


def _cached_cpu_bf16_speedup() -> float:
    """:func:`measure_cpu_bf16_speedup`, measured once per machine and torch version (cached on disk)."""
    import json

    import torch

    from .paths import cache_dir, cache_key

    file = cache_dir("machine") / f"bf16-{cache_key(machine=describe_machine(), torch=torch.__version__, flags=sorted(cpu_flags()))}.json"
    try:
        return float(json.loads(file.read_text())["speedup"])
    except (OSError, ValueError, KeyError):
        pass
    speedup = measure_cpu_bf16_speedup()
    try:
        file.write_text(json.dumps({"speedup": speedup, "machine": describe_machine()}))
    except OSError:
        pass
    return speedup


def training_precision(device=None) -> Precision:
    """The precision the training loops use on ``device`` (default: :func:`get_device`)."""
    import torch

    device = torch.device(device) if device is not None else get_device()
    from . import settings

    setting = settings.current().precision
    cuda_bf16 = device.type == "cuda" and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    cpu_bf16 = device.type == "cpu" and cpu_has_native_bf16()
    speedup = _cached_cpu_bf16_speedup() if cpu_bf16 and setting.strip().lower() in ("", "auto") else None
    return choose_precision(device.type, setting=setting, cuda_bf16=cuda_bf16, cpu_bf16=cpu_bf16,
                            cpu_bf16_speedup=speedup)


def loop_precision(*models, override: Precision | None = None) -> Precision:
    """The precision one training loop runs in, chosen once for it: ``override`` or :func:`training_precision` on the
    device of the first model that has parameters, narrowed to float32 for models without a convolution
    (:meth:`Precision.for_models`)."""
    if override is None:
        first = next((p for m in models if m is not None for p in m.parameters()), None)
        override = training_precision(first.device if first is not None else None)
    return override.for_models(*models)


def describe_machine() -> str:
    """A short description of the machine, recorded next to every result."""
    import torch

    cpu = cpu_model() or platform.processor() or platform.machine()
    parts = [f"{platform.system()} {platform.machine()}", f"{os.cpu_count()} cpu cores", cpu]
    if torch.cuda.is_available():
        parts.append(f"GPU {torch.cuda.get_device_name(0)}")
    else:
        parts.append("no GPU")
    return ", ".join(p for p in parts if p)
