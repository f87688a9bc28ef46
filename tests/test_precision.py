"""Device and precision choice: every branch of the decision, the switch, and what the trainers do with it."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from course_utils import device, profile
from course_utils.device import Precision, choose_precision, cpu_has_native_bf16
from course_utils.training import fit, train_gan
from course_utils.training.history import StepLog


# ------------------------------------------------------------------ the decision, branch by branch
def test_cuda_with_native_bf16_trains_in_bf16():
    p = choose_precision("cuda", cuda_bf16=True)
    assert (p.dtype, p.flush_denormal) == ("bfloat16", False)


def test_cuda_without_native_bf16_trains_in_float32():
    assert choose_precision("cuda", cuda_bf16=False).dtype == "float32"


def test_cpu_without_bf16_instructions_trains_in_float32_with_denormals_flushed():
    p = choose_precision("cpu", cpu_bf16=False, cpu_bf16_speedup=3.0)
    assert (p.dtype, p.flush_denormal) == ("float32", True)
    assert "no bfloat16 instructions" in p.reason


def test_cpu_with_bf16_instructions_and_measured_speedup_trains_in_bf16():
    p = choose_precision("cpu", cpu_bf16=True, cpu_bf16_speedup=1.7)
    assert (p.dtype, p.flush_denormal) == ("bfloat16", True)
    assert "1.70x" in p.reason


@pytest.mark.parametrize("speedup", [0.6, 1.0, 1.2, None])
def test_cpu_with_bf16_instructions_that_are_not_faster_trains_in_float32(speedup):
    p = choose_precision("cpu", cpu_bf16=True, cpu_bf16_speedup=speedup)
    assert (p.dtype, p.flush_denormal) == ("float32", True)


def test_apple_gpu_trains_in_float32():
    p = choose_precision("mps", cuda_bf16=True, cpu_bf16=True, cpu_bf16_speedup=2.0)
    assert (p.dtype, p.flush_denormal) == ("float32", False)


def test_course_precision_float32_switches_everything_off():
    for device_type in ("cpu", "cuda", "mps"):
        p = choose_precision(device_type, setting="float32", cuda_bf16=True, cpu_bf16=True, cpu_bf16_speedup=2.0)
        assert (p.dtype, p.flush_denormal, p.reduced) == ("float32", False, False)


def test_course_precision_bfloat16_forces_it_where_autocast_exists():
    assert choose_precision("cpu", setting="bfloat16").dtype == "bfloat16"
    assert choose_precision("cuda", setting="BFloat16").dtype == "bfloat16"
    with pytest.raises(ValueError, match="not mps"):
        choose_precision("mps", setting="bfloat16")


def test_unknown_precision_setting_is_a_clear_error():
    with pytest.raises(ValueError, match="COURSE_PRECISION must be one of"):
        choose_precision("cpu", setting="half")


@pytest.mark.parametrize("flags, machine, expected", [
    ({"avx2", "avx512f", "avx512_bf16"}, "x86_64", True),
    ({"avx2", "amx_bf16", "amx_tile"}, "x86_64", True),
    ({"avx2", "avx512f"}, "x86_64", False),
    (set(), "AMD64", False),
    ({"bf16", "asimd"}, "arm64", False),      # Apple silicon / ARM: emulated, never chosen without measuring
])
def test_bf16_instructions_from_cpu_flags(flags, machine, expected):
    assert cpu_has_native_bf16(flags, machine) is expected


# ------------------------------------------------------------------ the decision on this machine, with the facts faked
def test_training_precision_measures_only_when_the_instructions_exist(clean_env, monkeypatch):
    calls = []
    monkeypatch.setattr(device, "measure_cpu_bf16_speedup", lambda: calls.append(1) or 2.0)
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: False)
    assert device.training_precision("cpu").dtype == "float32" and calls == []
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: True)
    assert device.training_precision("cpu").dtype == "bfloat16" and calls == [1]
    assert device.training_precision("cpu").dtype == "bfloat16" and calls == [1], "the measurement is cached on disk"


def test_slow_bf16_measured_on_this_cpu_means_float32(clean_env, monkeypatch):
    monkeypatch.setattr(device, "cpu_has_native_bf16", lambda: True)
    monkeypatch.setattr(device, "measure_cpu_bf16_speedup", lambda: 0.6)
    p = device.training_precision("cpu")
    assert (p.dtype, p.flush_denormal) == ("float32", True)


def test_course_precision_env_switch(clean_env, monkeypatch):
    monkeypatch.setattr(device, "measure_cpu_bf16_speedup", lambda: pytest.fail("no probe when switched off"))
    monkeypatch.setenv("COURSE_PRECISION", "float32")
    assert device.training_precision("cpu") == Precision("cpu", "float32", "COURSE_PRECISION=float32")
    monkeypatch.setenv("COURSE_PRECISION", "bfloat16")
    assert device.training_precision("cpu").dtype == "bfloat16"


def test_measured_speedup_is_a_positive_ratio():
    ratio = device.measure_cpu_bf16_speedup(seconds=0.02)
    assert 0.01 < ratio < 100


# ------------------------------------------------------------------ what a Precision does
def test_flush_denormal_only_inside_the_scope():
    tiny = torch.tensor([1e-39])                     # a float32 denormal
    before = float(tiny * 1.0)
    with Precision("cpu", "float32", "test", flush_denormal=True).scope():
        inside = float(tiny * 1.0)
    after = float(tiny * 1.0)
    assert before > 0 and after > 0, "denormals are kept outside training loops"
    assert inside == 0.0, "denormals are flushed to zero inside the training scope"


def test_autocast_only_for_reduced_precision():
    layer = nn.Linear(4, 2)
    with Precision("cpu", "bfloat16", "test").autocast():
        assert layer(torch.randn(3, 4)).dtype == torch.bfloat16
    with Precision("cpu", "float32", "test").autocast():
        assert layer(torch.randn(3, 4)).dtype == torch.float32


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_trainers_leave_no_autocast_and_no_flush_behind(dtype):
    """Graded functions run after training must see plain float32 and denormals as they are."""
    torch.manual_seed(0)
    G, D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2)), nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    precision = Precision("cpu", dtype, "test", flush_denormal=True)
    bce_d = lambda r, f: nn.functional.softplus(-r).mean() + nn.functional.softplus(f).mean()  # noqa: E731
    seen = []

    def g_loss(fake_scores):
        seen.append(fake_scores.dtype)
        return nn.functional.softplus(-fake_scores).mean()

    history = train_gan(G, D, lambda n: torch.randn(n, 2), z_dim=2, steps=5, opt_G=torch.optim.SGD(G.parameters(), 0.01),
                        opt_D=torch.optim.SGD(D.parameters(), 0.01), d_loss=bce_d, g_loss=g_loss, batch_size=16,
                        show_progress=False, precision=precision)
    assert seen == [torch.float32] * 5, "losses always see float32 scores"
    assert all(isinstance(v, float) and math.isfinite(v) for v in history.d_loss + history.g_loss + history.d_real)
    assert len(history.g_loss) == 5 and history.snapshots[5].dtype == torch.float32
    assert not torch.is_autocast_enabled("cpu")
    assert float(torch.tensor([1e-39]) * 1.0) > 0
    model = nn.Linear(3, 1)
    out = fit(model, [(torch.randn(4, 3), torch.randn(4, 1))] * 3,
              lambda m, b: (nn.functional.mse_loss(m(b[0]).float(), b[1]), {"half": torch.tensor(0.5)}),
              torch.optim.SGD(model.parameters(), 0.1), 2, show_progress=False, precision=precision)
    assert len(out["loss"]) == 6 and out["half"] == [0.5] * 6
    assert all(isinstance(v, float) for v in out["loss"])
    assert not torch.is_autocast_enabled("cpu")


def test_step_log_keeps_order_of_mixed_tensors_and_numbers_across_chunks():
    into: dict[str, list[float]] = {}
    log = StepLog(into, chunk=3)
    for i in range(7):
        log.append("x", torch.tensor(float(i)) if i % 2 else float(i))
        log.step_done()
    assert into["x"] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "two chunks of three flushed on their own"
    assert log.flush()["x"] == [float(i) for i in range(7)]


# ------------------------------------------------------------------ GPU budgets
def test_gpu_budget_only_in_the_full_profile_on_cuda(clean_env, monkeypatch):
    monkeypatch.setattr(device, "get_device", lambda: torch.device("cuda"))
    assert profile.pick(full=10, fast=1, gpu=100) == 100
    assert profile.pick(full=10, fast=1) == 10, "without gpu= a GPU runs the full budget"
    assert "GPU budgets" in profile.describe()
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    assert profile.pick(full=10, fast=1, gpu=100) == 1, "the fast profile does not depend on the hardware"


@pytest.mark.parametrize("kind", ["cpu", "mps"])
def test_no_gpu_budget_without_cuda(clean_env, monkeypatch, kind):
    monkeypatch.setattr(device, "get_device", lambda: torch.device(kind))
    assert profile.pick(full=10, fast=1, gpu=100) == 10
    assert profile.pick(full=None, fast=1, gpu=None) is None


def test_course_device_cpu_turns_the_gpu_budget_off(clean_env, monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert profile.pick(full=10, fast=1, gpu=100) == 10


def test_bf16_only_for_convolutional_models():
    bf16 = Precision("cuda", "bfloat16", "test")
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten())
    mlp, gru = nn.Sequential(nn.Linear(4, 4)), nn.GRU(4, 4)
    assert bf16.for_models(conv).dtype == "bfloat16"
    assert bf16.for_models(mlp, conv).dtype == "bfloat16", "a GAN with one convolutional network"
    assert bf16.for_models(nn.ConvTranspose2d(2, 1, 4), None).dtype == "bfloat16"
    for models in [(mlp,), (gru,), (mlp, None)]:
        p = bf16.for_models(*models)
        assert p.dtype == "float32" and "no convolution" in p.reason
    assert Precision("cpu", "bfloat16", "benchmark", convolutional_only=False).for_models(mlp).dtype == "bfloat16"
    ftz = Precision("cpu", "float32", "test", flush_denormal=True)
    assert ftz.for_models(mlp) is ftz


def test_losses_are_computed_outside_autocast():
    """CUDA's autocast refuses F.binary_cross_entropy; the trainer computes every loss outside autocast."""
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, 16), nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 1, 3, padding=1), nn.Flatten(), nn.Tanh())
    D = nn.Sequential(nn.Linear(16, 1), nn.Sigmoid())
    inside = []

    def d_loss(real, fake):
        inside.append(torch.is_autocast_enabled("cpu"))
        return nn.functional.binary_cross_entropy(real, torch.ones_like(real)) + nn.functional.binary_cross_entropy(fake, torch.zeros_like(fake))

    def g_loss(fake):
        inside.append(torch.is_autocast_enabled("cpu"))
        return nn.functional.binary_cross_entropy(fake, torch.ones_like(fake))

    history = train_gan(G, D, lambda n: torch.rand(n, 16), z_dim=2, steps=3, opt_G=torch.optim.SGD(G.parameters(), 0.01),
                        opt_D=torch.optim.SGD(D.parameters(), 0.01), d_loss=d_loss, g_loss=g_loss, batch_size=8,
                        show_progress=False, precision=Precision("cpu", "bfloat16", "test"))
    assert inside == [False] * 6 and all(math.isfinite(v) for v in history.d_loss)


def test_trainers_do_not_read_a_number_back_on_every_step(monkeypatch):
    """float(loss) per step stalls a GPU; the loops move their numbers to the host in chunks instead."""
    calls = {"float": 0, "item": 0, "tolist": 0}
    real_float, real_item, real_tolist = torch.Tensor.__float__, torch.Tensor.item, torch.Tensor.tolist

    def counting(name, real):
        def wrapper(self, *args, **kwargs):
            calls[name] += 1
            return real(self, *args, **kwargs)
        return wrapper

    monkeypatch.setattr(torch.Tensor, "__float__", counting("float", real_float))
    monkeypatch.setattr(torch.Tensor, "item", counting("item", real_item))
    monkeypatch.setattr(torch.Tensor, "tolist", counting("tolist", real_tolist))
    torch.manual_seed(0)
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    bce_d = lambda r, f: nn.functional.softplus(-r).mean() + nn.functional.softplus(f).mean()  # noqa: E731
    bce_g = lambda f: nn.functional.softplus(-f).mean()  # noqa: E731
    history = train_gan(G, D, lambda n: torch.randn(n, 2), z_dim=2, steps=300, opt_G=torch.optim.SGD(G.parameters(), 0.01),
                        opt_D=torch.optim.SGD(D.parameters(), 0.01), d_loss=bce_d, g_loss=bce_g, batch_size=8,
                        show_progress=False, n_snapshots=2)
    assert len(history.d_loss) == 300
    assert calls["float"] + calls["item"] == 0, f"per-step reads: {calls}"
    assert calls["tolist"] <= 2 * 4, f"one transfer per chunk of 200 steps and per logged series, got {calls['tolist']}"
    model = nn.Linear(2, 1)
    fit(model, [torch.randn(4, 2)] * 250, lambda m, x: m(x).pow(2).mean(), torch.optim.SGD(model.parameters(), 0.01), 1,
        show_progress=False)
    assert calls["float"] + calls["item"] == 0, f"per-step reads in fit: {calls}"
