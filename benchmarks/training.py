"""Benchmark: one training step of each course network under each precision / layout / compiler setting.

    python benchmarks/training.py [--quick] [--nets NAME ...] [--out DIR]

The networks are the notebooks' own (read from their cells by :mod:`course_utils.notebook_code`, never
copied), trained through the course's own trainers (``train_gan`` / ``fit``) on random data of the real
shapes, at the batch size the notebook uses and at a larger one. Settings:

- ``float32``: the plain loop, as the trainers ran before this benchmark;
- ``float32+ftz``: denormal numbers flushed to zero (``torch.set_flush_denormal``), on the CPU; every
  setting below has it too;
- ``channels_last``: convolutional models and image batches in NHWC memory layout;
- ``bf16``: bfloat16 autocast (what :func:`course_utils.device.training_precision` adopts where the hardware
  does bfloat16 natively);
- ``bf16+channels_last``: both;
- ``compile``: ``torch.compile`` (inductor) on G and D in float32, compile time reported apart;
- ``1 thread``: float32+ftz and bf16 with one intra-op thread instead of all cores.

A "step" is one discriminator step plus one generator step for the GANs (``n_critic`` = 1, the gradient
penalty included for WGAN-GP) and one optimiser step for the VAE and the GRU. It prints ms/step,
samples/s and GFLOP/s (torch's flop formulas for matrix products and convolutions, over one step)
beside the machine's measured matmul peak in float32 and bfloat16, and writes a markdown report and a
JSON copy under ``benchmarks/results/``. A benchmark, not a test: nothing fails on a slow machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from torch.utils.flop_counter import flop_registry  # noqa: E402

from course_utils.device import Precision, cpu_has_native_bf16, describe_machine, training_precision  # noqa: E402
from course_utils.notebook_code import load_definitions  # noqa: E402
from course_utils.training import fit, train_gan  # noqa: E402

warnings.filterwarnings("ignore")
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
FTZ = DEVICE.type == "cpu"


def precision_for(setting):
    """``float32`` is the loop as it was (no flush-to-zero); every other setting flushes denormals on the CPU."""
    if "bf16" in setting:
        return Precision(DEVICE.type, "bfloat16", "benchmark", flush_denormal=FTZ, convolutional_only=False)
    return Precision(DEVICE.type, "float32", "benchmark", flush_denormal=FTZ and setting != "float32")


# ---------------------------------------------------------------- the course's networks, from the notebooks
# The objectives too are notebook 08's own (its given cell defines them for its five GANs).
LOSSES = load_definitions("08_sn_wgan_gp", ["bce_d_loss", "bce_g_loss", "wgan_d_loss", "wgan_g_loss", "clip_weights_"])
BCE = dict(d_loss=LOSSES["bce_d_loss"], g_loss=LOSSES["bce_g_loss"])


def gan_net(name):
    """(G, D, noise, real batch maker, trainer kwargs, notebook batch size) for one GAN of the course."""
    z = 64
    if name == "04 MLP GAN":
        d = load_definitions("04_fmnist_gan_losses", ["MLPGenerator", "MLPDiscriminator"], source="solutions")
        G, D = d["MLPGenerator"](z, 784), d["MLPDiscriminator"](784)
        return G, D, None, lambda b: torch.rand(b, 784) * 2 - 1, dict(BCE), 64
    if name == "05 MLP GAN":
        d = load_definitions("05_mode_collapse", ["make_generator", "make_discriminator"], constants={"Z_DIM": z})
        return (d["make_generator"](z), d["make_discriminator"](), None, lambda b: torch.rand(b, 1, 28, 28) * 2 - 1,
                dict(BCE), 64)
    if name == "06 conditional GAN":
        d = load_definitions("06_conditional_gan", ["ConditionalGenerator", "ConditionalDiscriminator"], source="solutions")
        G, D = d["ConditionalGenerator"](z, 10), d["ConditionalDiscriminator"](10)

        def noise(n):
            return torch.randn(n, z, device=DEVICE), F.one_hot(torch.randint(10, (n,), device=DEVICE), 10).float()

        def real(b):
            return torch.rand(b, 1, 28, 28) * 2 - 1, F.one_hot(torch.randint(10, (b,)), 10).float()
        return G, D, noise, real, dict(BCE), 64
    d = load_definitions("08_sn_wgan_gp", ["Generator", "critic"])
    if name.startswith("08 DCGAN w64"):
        G, D = d["Generator"](z, width=64), d["critic"](False, width=64)
        return G, D, None, lambda b: torch.rand(b, 1, 28, 28) * 2 - 1, dict(BCE), 128
    spectral = "SN" in name
    G, D = d["Generator"](z), d["critic"](spectral)
    pieces = dict(BCE)
    if "WGAN" in name:
        pieces = dict(d_loss=LOSSES["wgan_d_loss"], g_loss=LOSSES["wgan_g_loss"])
    if "clip" in name:
        pieces.update(clip_fn=LOSSES["clip_weights_"], clip_value=0.01)
    if "GP" in name:
        gp = load_definitions("08_sn_wgan_gp", ["gradient_penalty"], source="solutions")["gradient_penalty"]
        pieces.update(penalty_fn=gp)
    return G, D, None, lambda b: torch.rand(b, 1, 28, 28) * 2 - 1, pieces, 64


GANS = ["04 MLP GAN", "05 MLP GAN", "06 conditional GAN", "08 DCGAN", "08 SN-GAN", "08 WGAN clip", "08 WGAN-GP",
        "08 DCGAN w64"]
OTHERS = ["07 VAE", "02 GRU"]


def to_layout(x, channels_last):
    if channels_last and torch.is_tensor(x) and x.dim() == 4:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def gan_runner(name, batch, setting):
    torch.manual_seed(0)
    G, D, noise, real, pieces, _ = gan_net(name)
    channels_last = "channels_last" in setting
    G, D = G.to(DEVICE), D.to(DEVICE)
    if channels_last:
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    data = [real(batch) for _ in range(8)]
    data = [tuple(to_layout(t.to(DEVICE), channels_last) for t in x) if isinstance(x, tuple)
            else to_layout(x.to(DEVICE), channels_last) for x in data]
    counter = iter(range(10**9))
    batches = lambda b: data[next(counter) % len(data)]
    if setting == "compile":
        G, D = torch.compile(G), torch.compile(D)
    precision = precision_for(setting)
    opt_G = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))

    def run(steps):
        train_gan(G, D, batches, z_dim=64, steps=steps, opt_G=opt_G, opt_D=opt_D, batch_size=batch, noise=noise,
                  n_snapshots=1, fixed_noise=noise(2) if noise else torch.randn(2, 64, device=DEVICE),
                  show_progress=False, precision=precision, **pieces)
    return run


def other_runner(name, batch, setting):
    torch.manual_seed(0)
    channels_last = "channels_last" in setting
    precision = precision_for(setting)
    if name == "07 VAE":
        d = load_definitions("07_vae", ["EncoderCNN", "DecoderCNN", "VAE", "vae_loss"], source="solutions")
        model = d["VAE"](d["EncoderCNN"](1, 64), d["DecoderCNN"](64, 1), (1, 28, 28), 16).to(DEVICE)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        data = [to_layout(torch.rand(batch, 1, 28, 28, device=DEVICE) * 2 - 1, channels_last) for _ in range(8)]
        vae_loss = d["vae_loss"]
        net = torch.compile(model) if setting == "compile" else model

        def loss_fn(m, x):
            x_rec, mu, log_sigma2 = net(x)
            return vae_loss(x, x_rec, mu, log_sigma2, 1e-3)[0]
    else:
        d = load_definitions("02_sentiment_gru_mlp", ["GRUSentiment"], source="solutions")
        model = d["GRUSentiment"](20_000, 128, 128).to(DEVICE)
        data = [(torch.randint(2, 20_000, (batch, 256), device=DEVICE), torch.randint(2, (batch,), device=DEVICE))
                for _ in range(8)]
        net = torch.compile(model) if setting == "compile" else model

        def loss_fn(m, xy):
            return F.binary_cross_entropy(net(xy[0]), xy[1].float())
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    def run(steps):
        fit(model, (data[i % len(data)] for i in range(steps)), loss_fn, opt, 1, show_progress=False,
            precision=precision)
    return run


# ---------------------------------------------------------------- measuring
def sync():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def warm_up(run):
    """Three steps (compiles, allocates, fills caches); returns their seconds."""
    t0 = time.perf_counter()
    run(3)
    sync()
    return time.perf_counter() - t0


def time_window(run, seconds):
    """Seconds per step over about ``seconds`` of steps (at least 3)."""
    t0 = time.perf_counter()
    run(2)
    sync()
    per = (time.perf_counter() - t0) / 2
    steps = max(3, int(seconds / max(per, 1e-4)))
    t0 = time.perf_counter()
    run(steps)
    sync()
    return (time.perf_counter() - t0) / steps


class CountFlops(TorchDispatchMode):
    """FLOPs of every operator torch's flop counter knows (matrix products, convolutions), double backward
    included; ``FlopCounterMode`` itself installs module hooks that ``autograd.grad`` (the gradient penalty)
    does not support."""

    def __init__(self):
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        counter = flop_registry.get(func._overloadpacket)
        if counter is not None:
            self.total += counter(*args, **kwargs, out_val=out)
        return out


def step_flops(name, batch):
    runner = (gan_runner if name in GANS else other_runner)(name, batch, "float32")
    counter = CountFlops()
    with counter:
        runner(1)
    return counter.total


def matmul_peak(dtype, threads, n=2048, seconds=0.7, windows=4):
    """The best of ``windows`` timing windows (a shared virtual machine's throughput varies from second to second)."""
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n, dtype=dtype, device=DEVICE), torch.randn(n, n, dtype=dtype, device=DEVICE)
    for _ in range(2):
        a @ b
    sync()
    best = 0.0
    for _ in range(windows):
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            a @ b
            reps += 1
        sync()
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="notebook batch sizes only, shorter timings, no compile")
    parser.add_argument("--nets", nargs="*", default=None, help="a subset of the networks (names as printed)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds per setting (best counts)")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    min_seconds = 0.5 if args.quick else 1.0
    nets = args.nets or GANS + OTHERS
    print(f"machine: {describe_machine()}; torch {torch.__version__}; device {DEVICE}; "
          f"CPU bf16 instructions: {cpu_has_native_bf16()}; adopted: {training_precision(DEVICE).describe()}", flush=True)
    peaks = {f"{dtype} {t} thread{'s' if t > 1 else ''}": round(matmul_peak(getattr(torch, dtype), t), 1)
             for dtype in ("float32", "bfloat16") for t in sorted({1, cores})}
    torch.set_num_threads(cores)
    print("matmul peak (2048 x 2048, GFLOP/s):", peaks, flush=True)
    settings = ["float32", "float32+ftz", "channels_last", "bf16", "bf16+channels_last"]
    if not args.quick:
        settings.append("compile")
    rows = []
    for name in nets:
        notebook_batch = gan_net(name)[5] if name in GANS else (128 if name == "07 VAE" else 64)
        for batch in ([notebook_batch] if args.quick else [notebook_batch, 2 * notebook_batch]):
            flops = step_flops(name, batch)
            plan = [(s, cores) for s in settings if not (s == "compile" and batch != notebook_batch)]
            if cores > 1:
                plan += [("float32+ftz", 1), ("bf16", 1)]
            if name == "02 GRU":
                plan = [(s, t) for s, t in plan if "channels_last" not in s]
            runners, warm, times, errors = {}, {}, {}, {}
            for setting, threads in plan:
                torch.set_num_threads(threads)
                try:
                    runners[setting, threads] = (gan_runner if name in GANS else other_runner)(name, batch, setting)
                    warm[setting, threads] = warm_up(runners[setting, threads])
                except Exception as exc:  # a setting that does not work for a network is reported, not fatal
                    errors[setting, threads] = f"{type(exc).__name__}: {exc}"[:200]
                    runners.pop((setting, threads), None)
                finally:
                    torch.set_num_threads(cores)
            # interleaved rounds: a shared virtual machine's speed drifts, so each setting is timed in every
            # round and the best round counts (the median is reported too)
            for _ in range(args.rounds):
                for key, run in runners.items():
                    torch.set_num_threads(key[1])
                    try:
                        times.setdefault(key, []).append(time_window(run, min_seconds))
                    except Exception as exc:
                        errors[key] = f"{type(exc).__name__}: {exc}"[:200]
                    finally:
                        torch.set_num_threads(cores)
            base = min(times[("float32", cores)]) if ("float32", cores) in times else None
            for setting, threads in plan:
                key = (setting, threads)
                if key in errors or key not in times:
                    print(f"{name:>20} b{batch:<4} {setting:>19} {threads}t  failed: {errors.get(key)}", flush=True)
                    rows.append(dict(net=name, batch=batch, setting=setting, threads=threads, error=errors.get(key)))
                    continue
                best, median = min(times[key]), statistics.median(times[key])
                row = dict(net=name, batch=batch, setting=setting, threads=threads, ms_per_step=round(1e3 * best, 2),
                           median_ms=round(1e3 * median, 2), samples_per_s=round(batch / best, 1),
                           gflops=round(flops / best / 1e9, 2), speedup=round(base / best, 3) if base else None,
                           warmup_s=round(warm[key], 1), step_gflop=round(flops / 1e9, 4))
                rows.append(row)
                print(f"{name:>20} b{batch:<4} {setting:>19} {threads}t {row['ms_per_step']:>9.2f} ms/step "
                      f"(median {row['median_ms']:>8.2f}) {row['samples_per_s']:>9.1f} samples/s {row['gflops']:>7.1f} "
                      f"GFLOP/s x{row['speedup']}" + (f" (warm-up incl. compile {warm[key]:.0f} s)" if setting == "compile" else ""),
                      flush=True)
    write_report(args.out, peaks, rows, nets, args)


def write_report(out: Path, peaks, rows, nets, args):
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.date.today().isoformat()
    payload = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": describe_machine(),
               "cpu_bf16_instructions": cpu_has_native_bf16(), "adopted": training_precision(DEVICE).describe(),
               "torch": torch.__version__, "python": platform.python_version(), "device": str(DEVICE),
               "command": "python benchmarks/training.py" + (" --quick" if args.quick else "") + f" --rounds {args.rounds}"
               + (f" --nets {' '.join(repr(n) for n in args.nets)}" if args.nets else ""),
               "matmul_peak_gflops": peaks, "rows": rows}
    suffix = "" if DEVICE.type == "cpu" else f"-{DEVICE.type}"
    (out / f"training-{stamp}{suffix}.json").write_text(json.dumps(payload, indent=2) + "\n")
    lines = [f"# Training benchmark, {stamp}", "", f"- machine: {payload['machine']}", f"- torch {payload['torch']}, device {DEVICE}",
             f"- adopted by `course_utils.device`: {payload['adopted']}", f"- command: `{payload['command']}`",
             "- matmul peak (2048 x 2048): " + ", ".join(f"{k}: {v} GFLOP/s" for k, v in peaks.items()), "",
             "ms/step is the best of the interleaved rounds (median beside it); speed-up is against plain float32 with "
             "all cores.", "",
             "| network | batch | setting | threads | ms/step | median ms | samples/s | GFLOP/s | speed-up vs float32 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['net']} | {r['batch']} | {r['setting']} | {r['threads']} | failed: {(r['error'] or '')[:80]} | | | | |")
        else:
            lines.append(f"| {r['net']} | {r['batch']} | {r['setting']} | {r['threads']} | {r['ms_per_step']} | "
                         f"{r['median_ms']} | {r['samples_per_s']} | {r['gflops']} | {r['speedup']} |")
    (out / f"training-{stamp}{suffix}.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out}/training-{stamp}{suffix}.md and .json")


if __name__ == "__main__":
    main()
