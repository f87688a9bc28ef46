"""Proof that a change of the training loop trains the same weights: short runs, hashed.

    python benchmarks/loop_equivalence.py --out FILE.json [--steps 20]      # record this code's fingerprints
    python benchmarks/loop_equivalence.py --compare BEFORE.json AFTER.json  # the proof (exit 1 on any difference)

Issue 41 lets a reference run be re-fingerprinted (its code changed, its weights kept) only with a committed proof
that the new code trains bit-identical weights for a short run. This script is that proof. For every reference
configuration (:data:`course_utils.reference_configs.CONFIGS`) it trains ``--steps`` generator steps on the CPU with
the configuration's own ``train`` (the notebook's networks and recipe, the same seed and data order) and records a
SHA-256 of every weight and of the run's history (losses, evaluations without their wall times, snapshots). It adds
small runs of the trainer's modes that no reference uses (a student's whole ``step_fn``, a generator loss on samples
without a discriminator) and of :func:`course_utils.training.fit` (evaluation, early stopping, schedules per epoch
and per step, gradient clipping, an after-step hook, snapshots, a convolutional model in the chosen precision).
Run it on the old code and on the new code, on the same machine and the same torch, and compare.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch import nn  # noqa: E402


def _sha(value) -> str:
    h = hashlib.sha256()

    def feed(v):
        if torch.is_tensor(v):
            h.update(str((tuple(v.shape), str(v.dtype))).encode())
            h.update(v.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
        elif isinstance(v, dict):
            for k in sorted(v, key=str):
                if k in ("seconds", "train_seconds"):  # wall time: the only thing allowed to differ
                    continue
                h.update(repr(k).encode())
                feed(v[k])
        elif isinstance(v, (list, tuple)):
            h.update(b"[")
            for x in v:
                feed(x)
            h.update(b"]")
        else:
            h.update(repr(v).encode())

    feed(value)
    return h.hexdigest()


def _history_dict(history) -> dict:
    return dict(history) if isinstance(history, dict) else dict(vars(history))


def reference_runs(steps: int) -> dict[str, dict]:
    from course_utils.reference import config_definitions, resolved_params
    from course_utils.reference_configs import CONFIGS

    out = {}
    for name, config in sorted(CONFIGS.items()):
        weights, record, metrics = config.train(config_definitions(config), resolved_params(config), steps,
                                                torch.device("cpu"))
        out[f"reference {name}"] = {"weights": _sha(weights), "history": _sha(record),
                                    "metrics": _sha({k: v for k, v in metrics.items() if k != "ms_per_step"})}
        print(name, out[f"reference {name}"]["weights"][:16], flush=True)
    return out


def trainer_modes() -> dict[str, dict]:
    from course_utils import seeding
    from course_utils.training import fit, train_gan

    out = {}

    def mlp(i, o):
        return nn.Sequential(nn.Linear(i, 16), nn.LeakyReLU(0.2), nn.Linear(16, o))

    # a student's whole step
    seeding.seed_everything(0)
    G, D = mlp(4, 2), mlp(2, 1)
    oG, oD = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)

    def step_fn(G, D, opt_G, opt_D, real, z_dim):
        bce = nn.functional.binary_cross_entropy_with_logits
        fake = G(torch.randn(len(real), z_dim))
        r, f = D(real), D(fake.detach())
        d = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
        opt_D.zero_grad(); d.backward(); opt_D.step()  # noqa: E702
        g = bce(D(fake), torch.ones_like(r))
        opt_G.zero_grad(); g.backward(); opt_G.step()  # noqa: E702
        return {"d_loss": d.item(), "g_loss": g.item()}

    h = train_gan(G, D, lambda n: torch.randn(n, 2) * 2 + 1, z_dim=4, steps=30, opt_G=oG, opt_D=oD, step_fn=step_fn,
                  batch_size=32, n_snapshots=4, show_progress=False)
    out["train_gan step_fn"] = {"weights": _sha([G.state_dict(), D.state_dict()]), "history": _sha(_history_dict(h))}

    # a generator loss on samples, no discriminator; snapshots at chosen steps; evaluations
    seeding.seed_everything(1)
    G = mlp(4, 2)
    h = train_gan(G, None, iter(lambda: torch.randn(32, 2), None), z_dim=4, steps=25,
                  opt_G=torch.optim.SGD(G.parameters(), 0.05), g_loss=lambda real, fake: ((real - fake) ** 2).mean(),
                  g_loss_on="samples", snapshot_steps=[0, 7, 25], eval_fn=lambda G, s: {"w": float(G[0].weight.sum())},
                  eval_every=5, show_progress=False)
    out["train_gan samples"] = {"weights": _sha(G.state_dict()), "history": _sha(_history_dict(h))}

    # fit: evaluation, early stopping, schedules, clipping, a hook, snapshots
    for every in ("epoch", "step"):
        seeding.seed_everything(2)
        model = mlp(8, 3)
        x, y = torch.randn(256, 8), torch.randint(3, (256,))
        batches = [(x[i:i + 32], y[i:i + 32]) for i in range(0, 256, 32)]
        opt = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9)
        sched = torch.optim.lr_scheduler.StepLR(opt, 3 if every == "step" else 1, 0.7)

        def loss_fn(m, b):
            loss = nn.functional.cross_entropy(m(b[0]), b[1])
            return loss, {"twice": loss.detach() * 2}

        def evaluate(m, epoch):
            with torch.no_grad():
                return {"acc": float((m(x).argmax(1) == y).float().mean()) - 0.01 * epoch}

        h = fit(model, batches, loss_fn, opt, 5, on_epoch_end=evaluate, max_grad_norm=0.5,
                after_step=lambda m: m[0].weight.data.clamp_(-0.3, 0.3), scheduler=sched, scheduler_every=every,
                keep_best="acc", snapshot_fn=lambda m: m(torch.ones(2, 8)), snapshot_every=2, show_progress=False)
        out[f"fit scheduler per {every}"] = {"weights": _sha(model.state_dict()), "history": _sha(_history_dict(h))}

    # fit with a convolutional model: the precision the device module chooses for convolutions
    seeding.seed_everything(3)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    xs = torch.randn(64, 1, 8, 8)
    h = fit(model, [xs[i:i + 16] for i in range(0, 64, 16)], lambda m, b: m(b).pow(2).mean(),
            torch.optim.Adam(model.parameters(), 1e-2), 3, show_progress=False)
    out["fit convolutional"] = {"weights": _sha(model.state_dict()), "history": _sha(_history_dict(h))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        before, after = (json.loads(p.read_text()) for p in args.compare)
        differ = [k for k in before["runs"] if before["runs"][k] != after["runs"].get(k)]
        for k in before["runs"]:
            print(f"{'DIFFERENT' if k in differ else 'identical'}  {k}")
        sys.exit(1 if differ or set(before["runs"]) != set(after["runs"]) else 0)
    torch.set_num_threads(1)  # one thread: the same reduction order every time
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "course_utils"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip())
    runs = {**trainer_modes(), **reference_runs(args.steps)}
    record = {"commit": commit, "course_utils_uncommitted_changes": dirty, "steps": args.steps,
              "torch": torch.__version__, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "precision": os.environ.get("COURSE_PRECISION", "auto"), "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
