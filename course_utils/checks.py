"""Assertions for test cells.

Every failure message names the thing checked, what was expected and what the student's code gave,
so that a failing test cell reads as feedback rather than as a bare ``AssertionError``::

    expect_equal(add_with_rnn(39, 50), 89, "add_with_rnn(39, 50)")
    # AssertionError: add_with_rnn(39, 50): expected 89, got 88

The helpers accept numbers, numpy arrays and torch tensors alike, so that tests do not demand one
particular container type.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from typing import Any, Sequence

import numpy as np

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class CheckFailure(AssertionError):
    """A test-cell check failed; the message is written for the student.

    In Jupyter (and so in nbgrader's Validate and in the feedback), a failed check shows the test line that
    failed and the message, not the frames of ``course_utils`` that raised it: IPython renders an exception
    with its ``_render_traceback_`` when it has one.
    """

    def _render_traceback_(self) -> list[str]:
        hidden = [_PACKAGE] + [os.path.dirname(os.path.abspath(m.__file__)) + os.sep
                               for m in (sys.modules.get("IPython"), sys.modules.get("ipykernel")) if m is not None]
        frames = [f for f in traceback.extract_tb(self.__traceback__)
                  if not os.path.abspath(f.filename).startswith(tuple(hidden))]
        lines = ["-" * 75, f"{'CheckFailure':<42}Traceback (most recent call last)"]
        for frame in frames:
            where = "Cell" if re.search(r"ipykernel_\d+|<ipython-input", frame.filename) else f"File {frame.filename}"
            lines.append(f"{where}, line {frame.lineno}" + (f", in {frame.name}" if frame.name != "<module>" else ""))
            if frame.line:
                lines.append(f"--> {frame.lineno} {frame.line}")
            lines.append("")
        lines.append(f"CheckFailure: {self}")
        return lines


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    if isinstance(value, np.ndarray):
        text = np.array2string(value, threshold=40, max_line_width=100)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_numpy(value: Any) -> np.ndarray:
    """Convert a number, list, numpy array or torch tensor to a numpy array (on the CPU, detached)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def expect_true(condition: Any, message: str) -> None:
    """Fail with ``message`` unless ``condition`` is truthy."""
    if not bool(condition):
        raise CheckFailure(message)


def expect_equal(got: Any, expected: Any, what: str) -> None:
    """Exact equality of two python values (ints, strings, lists, dicts ...)."""
    if not (got == expected):
        raise CheckFailure(f"{what}: expected {_short(expected)}, got {_short(got)}")


def expect_type(got: Any, types: type | tuple[type, ...], what: str) -> None:
    """``got`` is an instance of ``types``."""
    if not isinstance(got, types):
        names = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
        raise CheckFailure(f"{what}: expected a {names}, got {type(got).__name__} ({_short(got)})")


def expect_shape(got: Any, shape: Sequence[int], what: str) -> None:
    """``got`` (array or tensor) has exactly ``shape``."""
    actual = tuple(to_numpy(got).shape) if not hasattr(got, "shape") else tuple(got.shape)
    if actual != tuple(shape):
        raise CheckFailure(f"{what}: expected shape {tuple(shape)}, got shape {actual}")


def expect_array_equal(got: Any, expected: Any, what: str) -> None:
    """Same shape and the same values, element by element (dtype may differ: 1 == 1.0)."""
    g, e = to_numpy(got), to_numpy(expected)
    if g.shape != e.shape:
        raise CheckFailure(
            f"{what}: expected shape {e.shape}, got shape {g.shape}\n"
            f"  expected: {_short(e)}\n  got:      {_short(g)}"
        )
    if not np.array_equal(g, e):
        bad = np.argwhere(g != e)
        first = tuple(int(i) for i in bad[0]) if bad.size else ()
        raise CheckFailure(
            f"{what}: {len(bad)} of {e.size} entries differ (first at index {first})\n"
            f"  expected: {_short(e)}\n  got:      {_short(g)}"
        )


def rel_error(x: Any, y: Any) -> float:
    """CS231n's relative error: max |x - y| / max(1e-8, |x| + |y|)."""
    a, b = to_numpy(x).astype(np.float64), to_numpy(y).astype(np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def expect_close(got: Any, expected: Any, what: str, atol: float = 1e-6, rtol: float = 1e-6) -> None:
    """Numerically close, element by element: ``|got - expected| <= atol + rtol * |expected|``."""
    g, e = to_numpy(got).astype(np.float64), to_numpy(expected).astype(np.float64)
    if g.shape != e.shape:
        raise CheckFailure(f"{what}: expected shape {e.shape}, got shape {g.shape}")
    if not np.all(np.isfinite(g)):
        raise CheckFailure(f"{what}: got non-finite values: {_short(g)}")
    if not np.allclose(g, e, atol=atol, rtol=rtol):
        err = float(np.max(np.abs(g - e))) if g.size else 0.0
        raise CheckFailure(
            f"{what}: maximum error {err:.3g} exceeds the tolerance (atol={atol:g}, rtol={rtol:g})\n"
            f"  expected: {_short(e)}\n  got:      {_short(g)}"
        )


def expect_binary(got: Any, what: str) -> None:
    """Every entry is 0 or 1."""
    g = to_numpy(got)
    if not np.all((g == 0) | (g == 1)):
        raise CheckFailure(f"{what}: expected only 0s and 1s, got {_short(g)}")


def output_layer_shifted(net: Any, *inputs: Any, shift: float = 100.0) -> tuple[Any, Any, Any]:
    """``net(*inputs)`` as it is, then with ``+shift`` and ``-shift`` added to its output layer's output.

    The output layer is the last module with parameters of its own that runs in the forward pass (a final
    ``nn.Linear`` or convolution, or a norm layer after it). What the network does after that layer is its
    output activation, and the three answers show which one it is, whatever way the student wrote it:
    none (``plus - base == base - minus == shift``, possibly scaled), tanh (``plus`` near +1, ``minus`` near
    -1), sigmoid (``minus`` near 0), ReLU (``minus`` 0). Runs without gradients in the mode ``net`` is in:
    put it in evaluation mode first when it has dropout.
    """
    import torch

    order: list = []
    leaves = [m for m in net.modules() if not list(m.children()) and any(True for _ in m.parameters(recurse=False))]
    hooks = [m.register_forward_hook(lambda module, args, out: order.append(module)) for m in leaves]
    try:
        with torch.no_grad():
            base = net(*inputs)
    finally:
        for h in hooks:
            h.remove()
    if not order:
        raise CheckFailure(f"{type(net).__name__} has no layer with parameters that runs in its forward pass")
    results = [base]
    for sign in (1.0, -1.0):
        hook = order[-1].register_forward_hook(lambda module, args, out, s=sign: out + s * shift)
        try:
            with torch.no_grad():
                results.append(net(*inputs))
        finally:
            hook.remove()
    return tuple(results)


# Operations that count as a layer or an activation in :func:`layer_trace` (aten names at the dispatch level,
# so that nn modules, functional calls and tensor methods all read the same).
_CONV = {"convolution"}
_NORMS = {"native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_no_training",
          "_native_batch_norm_legit_functional", "native_layer_norm", "native_group_norm", "instance_norm"}
_ACTIVATIONS = {"relu", "relu_", "leaky_relu", "leaky_relu_", "tanh", "tanh_", "sigmoid", "sigmoid_", "gelu",
                "elu", "elu_", "silu", "silu_", "hardtanh", "hardtanh_", "softplus", "prelu", "_prelu_kernel",
                "relu6", "mish", "selu", "celu", "hardsigmoid", "hardswish", "threshold", "clamp", "clamp_"}
_OTHER_LAYERS = {"mm", "addmm", "bmm", "linear", "avg_pool2d", "max_pool2d_with_indices", "adaptive_avg_pool2d",
                 "_adaptive_avg_pool2d", "adaptive_max_pool2d", "upsample_nearest2d", "upsample_bilinear2d",
                 "mean", "sum", "pixel_shuffle", "amax", "max"}


def layer_trace(fn: Any, *inputs: Any) -> tuple[Any, list[dict]]:
    """``fn(*inputs)`` and the layers and activations it ran, in order, however the student wrote them.

    Each entry has ``op`` (``"conv"``, ``"conv_transpose"``, ``"norm"``, an activation's name such as ``"relu"``,
    ``"leaky_relu"``, ``"tanh"``, or ``"other"`` for linear layers, pooling, upsampling and reductions) and
    ``shape`` (the output's shape); convolutions also give ``kernel``, ``stride``, ``padding``,
    ``output_padding``, the channels they received (``in_channels``) and those their weight was built for
    (``built_for_channels``: the ``meta`` device does not compare the two for transposed convolutions), a leaky
    ReLU its ``slope``. It records at PyTorch's dispatch level, below ``nn.Module``,
    ``torch.nn.functional`` and tensor methods alike, so it works on the ``meta`` device, where nothing is
    computed or allocated: a 512 x 512 network can be checked layer by layer on any laptop.
    """
    from torch.utils._python_dispatch import TorchDispatchMode

    trace: list[dict] = []

    class _Recorder(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            name = func.overloadpacket.__name__
            first = out[0] if isinstance(out, (tuple, list)) else out
            shape = tuple(first.shape) if hasattr(first, "shape") else None
            if name in _CONV:
                transposed, weight, groups = bool(args[6]), args[1], int(args[8])
                built_for = weight.shape[0] if transposed else weight.shape[1] * groups
                trace.append({"op": "conv_transpose" if transposed else "conv", "shape": shape,
                              "kernel": tuple(weight.shape[2:]), "stride": tuple(args[3]), "padding": tuple(args[4]),
                              "output_padding": tuple(args[7]), "in_channels": int(args[0].shape[1]),
                              "built_for_channels": int(built_for)})
            elif name in _NORMS:
                trace.append({"op": "norm", "kind": name, "shape": shape})
            elif name in _ACTIVATIONS:
                entry = {"op": name.rstrip("_"), "shape": shape}
                if entry["op"] == "leaky_relu":
                    entry["slope"] = float(args[1]) if len(args) > 1 else 0.01
                trace.append(entry)
            elif name in _OTHER_LAYERS:
                trace.append({"op": "other", "kind": name, "shape": shape})
            return out

    with _Recorder():
        out = fn(*inputs)
    return out, trace


def affine_gap(net: Any, a: Any, b: Any) -> float:
    """How far the output of ``net``'s output layer is from an affine function of the input, between inputs ``a`` and
    ``b``: ``max |o((a + b) / 2) - (o(a) + o(b)) / 2|`` over the batch, relative to ``mean |o|``, where ``o`` is the
    output of the last layer with parameters of its own (found with forward hooks, so whatever follows it, such as a
    tanh or a sigmoid, does not count). About 1e-7 (rounding) for a network whose hidden layers apply no nonlinearity,
    or discard its result; far larger for one with ReLUs that are used. Run it in evaluation mode."""
    import torch

    order: list = []
    leaves = [m for m in net.modules() if not list(m.children()) and any(True for _ in m.parameters(recurse=False))]
    hooks = [m.register_forward_hook(lambda module, args, out: order.append(out)) for m in leaves]
    try:
        outputs = []
        with torch.no_grad():
            for x in (a, b, (a + b) / 2):
                order.clear()
                net(x)
                if not order:
                    raise CheckFailure(f"{type(net).__name__} has no layer with parameters that runs in its forward pass")
                outputs.append(order[-1].float())
    finally:
        for h in hooks:
            h.remove()
    oa, ob, om = outputs
    scale = float(torch.cat([oa.abs().flatten(), ob.abs().flatten()]).mean()) + 1e-12
    return float((om - (oa + ob) / 2).abs().max()) / scale
