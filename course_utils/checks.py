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

    The output layer is the last layer operation that runs in the forward pass: a linear map or a convolution (as
    ``nn.Linear``, ``F.linear`` on a ``ParameterList``, a parametrized layer such as ``spectral_norm`` or
    ``weight_norm``, or a matrix product), or a norm layer after it. It is found at PyTorch's dispatch level, so
    however the network is written. What the network does after that layer is its output activation, and the three
    answers show which one it is: none (``plus - base == base - minus == shift``, possibly scaled), tanh (``plus``
    near +1, ``minus`` near -1), sigmoid (``minus`` near 0), ReLU (``minus`` 0). Runs without gradients in the mode
    ``net`` is in: put it in evaluation mode first when it has dropout.
    """
    base, count = _run_shifting_last_layer(net, inputs, None)
    if not count:
        raise CheckFailure(f"{type(net).__name__} has no linear, convolutional or norm layer that runs in its forward pass")
    plus, _ = _run_shifting_last_layer(net, inputs, (count - 1, shift))
    minus, _ = _run_shifting_last_layer(net, inputs, (count - 1, -shift))
    return base, plus, minus


# Layer operations at the dispatch level: what nn.Linear, F.linear, matrix products, convolutions and norm layers run
_LAYER_OPS = {"convolution", "addmm", "mm", "bmm", "linear"}


def _run_shifting_last_layer(net: Any, inputs: tuple, shift_at: tuple[int, float] | None,
                             capture: list | None = None) -> tuple[Any, int]:
    """Run ``net`` without gradients, counting the layer operations (and norms); add ``shift_at[1]`` to the output of
    layer operation number ``shift_at[0]``; with ``capture``, append each layer operation's output to it."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    count = [0]

    class _Layers(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            name = func.overloadpacket.__name__
            if name in _LAYER_OPS or name in _NORMS:
                index, count[0] = count[0], count[0] + 1
                first = out[0] if isinstance(out, (tuple, list)) else out
                if capture is not None and torch.is_tensor(first):
                    capture.append(first.detach().clone())
                if shift_at is not None and index == shift_at[0]:
                    shifted = first + shift_at[1]
                    return (shifted, *out[1:]) if isinstance(out, (tuple, list)) else shifted
            return out

    with torch.no_grad(), _Layers():
        result = net(*inputs)
    return result, count[0]


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
    output of the last layer operation (found as :func:`output_layer_shifted` finds it, so whatever follows it, such
    as a tanh or a sigmoid, does not count). About 1e-7 (rounding) for a network whose hidden layers apply no
    nonlinearity, or discard its result; far larger for one with ReLUs that are used. Run it in evaluation mode."""
    import torch

    outputs = []
    for x in (a, b, (a + b) / 2):
        seen: list = []
        _run_shifting_last_layer(net, (x,), None, capture=seen)
        if not seen:
            raise CheckFailure(f"{type(net).__name__} has no linear, convolutional or norm layer that runs in its "
                               "forward pass")
        outputs.append(seen[-1].float())
    oa, ob, om = outputs
    scale = float(torch.cat([oa.abs().flatten(), ob.abs().flatten()]).mean()) + 1e-12
    return float((om - (oa + ob) / 2).abs().max()) / scale


def _on_meta(value: Any) -> Any:
    """``value`` on the ``meta`` device: a module is deep-copied first (``Module.to`` works in place), a tensor moved,
    a tuple or list converted element by element, anything else left as it is."""
    import copy

    import torch

    if isinstance(value, torch.nn.Module):
        return copy.deepcopy(value).to("meta")
    if torch.is_tensor(value):
        return value.to("meta")
    if isinstance(value, (tuple, list)):
        return type(value)(_on_meta(v) for v in value)
    return value


def expect_on_meta(fn: Any, *args: Any, what: str, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with every tensor and module argument moved to PyTorch's ``meta`` device, checked to
    leave every tensor it returns there; returns the result.

    Why: code that works on the CPU can still put a result, or a tensor it builds, on the CPU while its inputs sit
    on a GPU (``.cpu()``, ``torch.ones(n)`` without ``device=``). A grader without a GPU never sees that; the
    ``meta`` device, which has shapes and dtypes but no data, shows it on any machine. Reading values is allowed
    (on a GPU, ``.item()`` and ``.tolist()`` work): while ``fn`` runs, a copy of a ``meta`` tensor to the CPU gives
    zeros of its shape and ``.item()`` gives 0, so an answer that reads values runs on, and only where its result
    lands is judged. A CPU tensor mixed with a ``meta`` one raises, as it would on a GPU. ``fn`` may be a module
    (moved with its parameters, on a copy) or a function.
    """
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    class _ServeCopies(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            source = args[0] if args and torch.is_tensor(args[0]) else None
            if source is not None and source.device.type == "meta":
                # .cpu() / .to(device) reach here as aten._to_copy, or as aten.to.* under torch.inference_mode()
                if func.overloadpacket in (torch.ops.aten._to_copy, torch.ops.aten.to):
                    target, dtype = kwargs.get("device"), kwargs.get("dtype")
                    for a in args[1:]:
                        if isinstance(a, (torch.device, str)) and target is None:
                            target = a
                        elif torch.is_tensor(a) and target is None:
                            target, dtype = a.device, dtype or a.dtype
                        elif isinstance(a, torch.dtype) and dtype is None:
                            dtype = a
                    if target is not None and torch.device(target).type != "meta":
                        return torch.zeros(source.shape, dtype=dtype or source.dtype, device=target)
                if func in (torch.ops.aten._local_scalar_dense.default, torch.ops.aten.item.default):
                    return False if source.dtype == torch.bool else (0.0 if source.is_floating_point() else 0)
            return func(*args, **kwargs)

    fn = _on_meta(fn) if isinstance(fn, torch.nn.Module) else fn
    # torch.distributions checks its arguments' values (loc real, scale positive), which a meta tensor does not have:
    # the check would refuse a correct Normal(mu, sigma).rsample(), so it is off while fn runs
    validating = torch.distributions.Distribution._validate_args
    torch.distributions.Distribution.set_default_validate_args(False)
    try:
        with _ServeCopies():
            result = fn(*[_on_meta(a) for a in args], **{k: _on_meta(v) for k, v in kwargs.items()})
    except (NotImplementedError, RuntimeError, TypeError) as exc:
        if "meta" not in str(exc) and "device" not in str(exc):
            raise
        raise CheckFailure(
            f"{what}: with its inputs on another device than the CPU (here PyTorch's 'meta' device, which stands for a "
            f"GPU) it failed with {type(exc).__name__}: {str(exc).splitlines()[0][:200]}. Keep every tensor on the "
            "device of the inputs: build new tensors with device=x.device (or torch.*_like), no .numpy()"
        ) from None
    finally:
        torch.distributions.Distribution.set_default_validate_args(validating)
    leaves = [r for r in (result if isinstance(result, (tuple, list)) else (result,)) if torch.is_tensor(r)]
    moved = [str(r.device) for r in leaves if r.device.type != "meta"]
    if moved:
        raise CheckFailure(f"{what}: the inputs were on another device than the CPU (here PyTorch's 'meta' device, "
                           f"which stands for a GPU), but it returned a tensor on {moved[0]}: return results on the "
                           "device of the inputs (no .cpu(), no tensor built without device=)")
    return result


def _weight_layer(module: Any) -> bool:
    import torch.nn as nn

    return isinstance(module, (nn.Linear, nn.modules.conv._ConvNd))


def _feeds_layers(module: Any) -> bool:
    import torch.nn as nn

    return _weight_layer(module) or isinstance(module, (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm))


def expect_nonlinearity_between_layers(net: Any, *inputs: Any, what: str) -> None:
    """Check that no linear or convolutional layer of ``net`` receives the previous one's output through nothing but
    affine steps (a batch norm in evaluation mode), so that the two would compose to one affine map.

    Forward hooks record, in the order they run, the input and output of every linear, convolutional and
    normalisation layer; if each layer from one weight layer to the next received its predecessor's output unchanged
    (element for element, whatever its shape) and all between them are batch norms (affine in evaluation mode),
    nothing nonlinear was applied: an activation is missing, or its result is discarded. A layer or group norm
    normalises each sample and counts as nonlinear, and so does an activation placed before a norm. Layers fed by
    anything else (an embedding, a recurrent layer) are not checked. Runs without gradients, in evaluation
    mode (so that dropout does not pass for a nonlinearity), and restores the mode.
    """
    import torch
    import torch.nn as nn

    records: list[tuple[Any, Any, Any]] = []

    def hook(module, args, out):
        records.append((module, args[0].detach().clone() if args and torch.is_tensor(args[0]) else None,
                        out.detach().clone() if torch.is_tensor(out) else None))

    leaves = [m for m in net.modules() if _feeds_layers(m)]
    handles = [m.register_forward_hook(hook) for m in leaves]
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            net(*inputs)
    finally:
        net.train(was_training)
        for h in handles:
            h.remove()
    affine = (nn.modules.batchnorm._BatchNorm,)  # affine in evaluation mode; layer, group and instance norms are not
    previous = None
    for i, (layer, _, _) in enumerate(records):
        if not _weight_layer(layer):
            continue
        if previous is not None:
            chain = records[previous:i + 1]
            handed_over = all(out is not None and inp is not None and out.numel() == inp.numel()
                              and torch.equal(out.flatten(), inp.flatten())
                              for (_, _, out), (_, inp, _) in zip(chain, chain[1:]))
            if handed_over and all(isinstance(m, affine) for m, _, _ in chain[1:-1]):
                through = "".join(f" through its {type(m).__name__}" for m, _, _ in chain[1:-1])
                raise CheckFailure(
                    f"{what}: a {type(layer).__name__} layer receives the output of the {type(chain[0][0]).__name__} "
                    f"before it{through} unchanged, so the two compose to one affine map: put a nonlinearity (such as "
                    "ReLU) between them and use its result")
        previous = i
