"""Benchmark: independent training runs one after another against side by side (``load_or_train_all``).

    python benchmarks/side_by_side.py [--runs 4] [--steps 1500] [--out DIR]

Two kinds of run, each built from notebook 05's own definitions (read from its cells, never copied) and
trained by the course's ``train_gan``:

- ``ring``: the ring-of-Gaussians GAN (MLP 256-128-128-2 and 2-128-1, batch 256), vanilla recipe;
- ``fashion``: the Fashion-MNIST MLP GAN with batch normalisation (batch 64), vanilla recipe, on the real data
  when ``COURSE_DATA_DIR`` has it, else on random images of the same shape.

For each kind, ``--runs`` runs with different seeds are trained with ``workers=1`` (one after another, all cores
each: what a notebook did before) and with ``workers=2`` (side by side, one thread each), caching off. It prints
and writes (``benchmarks/results/side-by-side-<date>.md`` and ``.json``) the wall time of each and the ratio.
A benchmark, not a test: nothing fails on a slow machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["COURSE_CHECKPOINTS"] = "0"
os.environ.setdefault("COURSE_PROFILE", "full")


def _jobs(kind: str, runs: int, steps: int) -> dict:
    import torch

    from course_utils import seeding
    from course_utils.data import fashion_mnist_tensors, random_batches
    from course_utils.notebook_code import load_definitions
    from course_utils.training import TrainJob, train_gan

    ring_z = 256  # notebook 05's RING_Z
    defs = load_definitions("05_mode_collapse", ["make_generator", "make_discriminator", "make_ring_generator",
                                                 "make_ring_discriminator", "bce_d_loss", "bce_g_loss"],
                            "solutions", constants={"Z_DIM": 64, "RING_Z": ring_z})
    jobs = {}
    if kind == "fashion":
        try:
            images, _ = fashion_mnist_tensors(train=True)
        except Exception:  # noqa: BLE001 -- no data here: random images of the same shape time the same
            images = torch.rand(60_000, 1, 28, 28) * 2 - 1
    for seed in range(runs):
        seeding.seed_everything(seed)
        if kind == "ring":
            G, D = defs["make_ring_generator"](), defs["make_ring_discriminator"]()
            data = lambda n, g=torch.Generator().manual_seed(seed): torch.randn(n, 2, generator=g)  # noqa: E731
            z_dim, batch = ring_z, 256
        else:
            G, D = defs["make_generator"](), defs["make_discriminator"]()
            data = random_batches(images, 64, generator=torch.Generator().manual_seed(seed))
            z_dim, batch = 64, 64

        def train(G=G, D=D, data=data, z_dim=z_dim, batch=batch):
            return train_gan(G, D, data, z_dim=z_dim, steps=steps, batch_size=batch, show_progress=False,
                             opt_G=torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999)),
                             opt_D=torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999)),
                             d_loss=defs["bce_d_loss"], g_loss=defs["bce_g_loss"])

        jobs[seed] = TrainJob(f"bench-{kind}", {"seed": seed}, {"G": G, "D": D}, train)
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    import torch

    from course_utils.device import cpu_model
    from course_utils.training import load_or_train_all

    rows = []
    for kind in ("ring", "fashion"):
        for workers in (1, 2):
            jobs = _jobs(kind, args.runs, args.steps)
            start = time.perf_counter()
            done = load_or_train_all(jobs, workers=workers, desc=kind)
            wall = time.perf_counter() - start
            own = [history.seconds for history, _ in done.values()]
            rows.append({"kind": kind, "workers": workers, "runs": args.runs, "steps": args.steps, "wall_s": round(wall, 1),
                         "ms_per_step_per_run": round(sum(own) / len(own) / args.steps * 1000, 2),
                         "threads_per_run": torch.get_num_threads() if workers == 1 else
                         max(1, len(os.sched_getaffinity(0)) // workers)})
            print(rows[-1], flush=True)
    for kind in ("ring", "fashion"):
        serial, together = (next(r for r in rows if r["kind"] == kind and r["workers"] == w) for w in (1, 2))
        together["speedup"] = round(serial["wall_s"] / together["wall_s"], 2)
    machine = f"{platform.system()} {platform.machine()}, {len(os.sched_getaffinity(0))} cpu cores, {cpu_model()}"
    date = dt.date.today().isoformat()
    command = f"python benchmarks/side_by_side.py --runs {args.runs} --steps {args.steps}"
    lines = [f"# Training runs side by side, {date}", "", f"Machine: {machine}; torch {torch.__version__}.",
             f"Command: `{command}`.", "",
             "| runs | workers | threads per run | wall time (s) | ms per step, each run's own clock | speed-up |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['runs']} x {r['kind']} ({r['steps']} steps) | {r['workers']} | {r['threads_per_run']} | "
                     f"{r['wall_s']} | {r['ms_per_step_per_run']} | {r.get('speedup', '')} |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"side-by-side-{date}.md").write_text("\n".join(lines) + "\n")
    (args.out / f"side-by-side-{date}.json").write_text(json.dumps({"machine": machine, "command": command,
                                                                    "rows": rows}, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
