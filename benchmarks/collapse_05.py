"""Notebook 05's Fashion-MNIST experiments, measured before the notebook adopts them: unrolling and few images.

Every run trains notebook 05's own networks and losses (``make_generator``, ``make_discriminator``,
``bce_d_loss``, ``bce_g_loss``, read from the notebook) and the model answers of its Parts 3-5
(``unrolled_g_step``, ``unrolled_surrogate_g_step``, ``augment_with_noise``, read from ``solutions/``), with
Adam (0.5, 0.999), batches of 64 and 4,000 generator steps unless the setting says otherwise; one thread per
run, two runs at a time. Every 400 steps the evaluation CNN measures, on 2,000 samples: the classes with at
least 1 % of the samples, the KL of the class histogram to uniform, and the Frechet distance (FD) of its
features against 2,000 test images; and D's gap, its mean probability of "real" on (up to) 500 of its training
images minus on 500 test images. At the end: the mean distance (pixels in [-1, 1], L2) from each of 500 samples
to its nearest training image, beside the same for 500 test images (what a generator that does not copy scores).

    python benchmarks/collapse_05.py unroll --seeds 0 --out benchmarks/results/collapse-05-unroll-DATE
    python benchmarks/collapse_05.py limited --seeds 0 1 --out benchmarks/results/collapse-05-limited-DATE

``unroll``: the collapsing setting (the generator without batch normalisation) with copy-and-train unrolling
(Part 3) at several look-ahead lengths k and SGD rates d_lr, true unrolling (Part 4), a faster Adam, and the
generator with batch normalisation as the reference of quality. ``limited``: the generator with batch
normalisation on the first N training images, and at the smallest N two kinds of noise: noisy copies added to the
data set (``augment_with_noise`` once, ahead of training) and the same noise on every input of D, real and fake
alike (instance noise; the principle of DiffAugment / ADA: D never sees a clean image, G cannot learn the noise).
``--only LABEL`` runs one setting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import platform
from pathlib import Path

NOTEBOOK = "05_mode_collapse"
GIVEN = ("make_generator", "make_discriminator", "bce_d_loss", "bce_g_loss")
ANSWERS = ("unrolled_g_step", "unrolled_surrogate_g_step", "augment_with_noise")
Z_DIM, BATCH, EVAL_IMAGES = 64, 64, 2000

# label: settings. step: "vanilla", "copy" (Part 3), "true" (Part 4); bn: batch norm in G; lr: Adam's rate.
UNROLL = {
    "BN, vanilla": dict(bn=True),
    "no BN, vanilla": dict(bn=False),
    "no BN, vanilla, Adam 1e-3": dict(bn=False, lr=1e-3),
    "no BN, copy-and-train k 5, d_lr 0.05": dict(bn=False, step="copy", k=5, d_lr=0.05),
    "no BN, copy-and-train k 5, d_lr 0.01": dict(bn=False, step="copy", k=5, d_lr=0.01),
    "no BN, copy-and-train k 5, d_lr 0.2": dict(bn=False, step="copy", k=5, d_lr=0.2),
    "no BN, copy-and-train k 5, d_lr 0.005": dict(bn=False, step="copy", k=5, d_lr=0.005),
    "no BN, copy-and-train k 5, d_lr 0.02": dict(bn=False, step="copy", k=5, d_lr=0.02),
    "no BN, copy-and-train k 10, d_lr 0.01": dict(bn=False, step="copy", k=10, d_lr=0.01),
    "no BN, copy-and-train k 2, d_lr 0.05": dict(bn=False, step="copy", k=2, d_lr=0.05),
    "no BN, copy-and-train k 10, d_lr 0.05": dict(bn=False, step="copy", k=10, d_lr=0.05),
    "no BN, true unrolling k 1, d_lr 0.05": dict(bn=False, step="true", k=1, d_lr=0.05),
}
LIMITED = {
    "500 images": dict(images=500),
    "5,000 images": dict(images=5000),
    "60,000 images": dict(images=60000),
    "500 + 4,500 noisy copies (gaussian 0.3)": dict(images=500, copies=9, noise=("gaussian", 0.3)),
    "500, instance noise (gaussian 0.3 on D's inputs)": dict(images=500, instance=("gaussian", 0.3)),
    "500, instance noise (gaussian 0.1 on D's inputs)": dict(images=500, instance=("gaussian", 0.1)),
}


def run_one(label: str, settings: dict, seed: int, steps: int) -> dict:
    """Train one setting with one seed; its curve and end measures."""
    import time

    import numpy as np
    import torch
    from torch import nn

    torch.set_num_threads(1)
    from course_utils import seeding
    from course_utils.data import fashion_mnist_tensors, random_batches
    from course_utils.evaluation import load_eval_classifier
    from course_utils.metrics import classifier_features, frechet_distance, kl_to_uniform
    from course_utils.notebook_code import load_definitions
    from course_utils.training import train_gan

    defs = answers = load_definitions(NOTEBOOK, GIVEN + ANSWERS, "solutions", constants={"Z_DIM": Z_DIM})
    device = torch.device("cpu")
    images, _ = fashion_mnist_tensors(train=True, limit=settings.get("images", 60000))
    test_images, _ = fashion_mnist_tensors(train=False)
    data = images
    if "copies" in settings:
        kind, amount = settings["noise"]
        gen = torch.Generator().manual_seed(seed)
        data = torch.cat([images] + [answers["augment_with_noise"](images, kind, amount, generator=gen)
                                     for _ in range(settings["copies"])])
    classifier = load_eval_classifier(device)
    real_features = classifier_features(classifier, test_images[:EVAL_IMAGES])
    seeding.seed_everything(seed)
    G = defs["make_generator"](batch_norm=settings.get("bn", True))
    D = defs["make_discriminator"]()
    D_trained = D
    if "instance" in settings:
        kind, amount = settings["instance"]
        augment = answers["augment_with_noise"]

        class Noisy(nn.Module):
            def forward(self, x):
                return augment(x, kind, amount) if self.training else x

        D_trained = nn.Sequential(Noisy(), D)
    adam = lambda p: torch.optim.Adam(p, lr=settings.get("lr", 2e-4), betas=(0.5, 0.999))  # noqa: E731
    step = settings.get("step", "vanilla")
    if step == "vanilla":
        pieces = {"g_loss": defs["bce_g_loss"]}
    else:
        fn = answers["unrolled_g_step" if step == "copy" else "unrolled_surrogate_g_step"]
        k, d_lr = settings["k"], settings["d_lr"]
        pieces = {"g_step_fn": lambda G, D, opt_G, real, z_dim: fn(G, D, opt_G, real, z_dim, k=k, d_lr=d_lr)}
    train_probe = images[:500]
    test_probe = test_images[-500:]
    curve = []
    start, eval_cpu = time.process_time(), 0.0

    def sample(n):
        with torch.no_grad():
            return G(torch.randn(n, Z_DIM, generator=torch.Generator().manual_seed(1000)))

    def measure(G_, step_):
        nonlocal eval_cpu
        t0 = time.process_time()
        G.eval(), D.eval()
        samples = sample(EVAL_IMAGES)
        with torch.no_grad():
            counts = np.bincount(classifier(samples).argmax(1).numpy(), minlength=10)
            gap = (torch.sigmoid(D(train_probe)).mean() - torch.sigmoid(D(test_probe)).mean()).item()
        curve.append({"step": step_, "cpu_s": round(t0 - start - eval_cpu, 1),
                      "classes": int((counts >= 0.01 * counts.sum()).sum()), "kl": round(kl_to_uniform(counts), 3),
                      "fd": round(frechet_distance(classifier_features(classifier, samples), real_features), 1),
                      "d_gap": round(gap, 4)})
        G.train(), D.train()
        eval_cpu += time.process_time() - t0
        return {}

    train_gan(G, D_trained, random_batches(data, BATCH, generator=torch.Generator().manual_seed(seed), device=device),
              z_dim=Z_DIM, steps=steps, opt_G=adam(G.parameters()), opt_D=adam(D.parameters()), batch_size=BATCH,
              d_loss=defs["bce_d_loss"], eval_fn=measure, eval_every=steps // 10, n_snapshots=1, show_progress=False,
              **pieces)
    G.eval()
    samples = sample(500).flatten(1)
    train_flat = images.flatten(1)
    nearest = lambda x: torch.cat([torch.cdist(c, train_flat).min(1).values for c in x.split(100)]).mean().item()  # noqa: E731
    best = min(curve, key=lambda e: e["fd"])
    return {"label": label, "settings": settings, "seed": seed, "steps": steps, "curve": curve,
            "train_cpu_s": curve[-1]["cpu_s"], "final": curve[-1], "best_fd": best["fd"], "best_fd_step": best["step"],
            "mean_classes": round(float(np.mean([e["classes"] for e in curve[1:]])), 2),
            "nn_distance_samples": round(nearest(samples), 3),
            "nn_distance_test": round(nearest(test_images[:500].flatten(1)), 3)}


def _run(args):
    return run_one(*args)


def write_markdown(results: list[dict], path: Path, header: str) -> None:
    lines = [header, "", "| setting | seed | CPU s | classes (each 400 steps) | mean classes | KL end | FD end | best FD (step) "
             "| D gap (each 800 steps) | NN dist. samples / test |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        f = r["final"]
        gaps = " ".join(f"{e['d_gap']:.3f}" for e in r["curve"][2::2])
        lines.append(f"| {r['label']} | {r['seed']} | {r['train_cpu_s']:.0f} | {' '.join(str(e['classes']) for e in r['curve'][1:])} "
                     f"| {r['mean_classes']} | {f['kl']:.3f} | {f['fd']:.1f} | {r['best_fd']:.1f} ({r['best_fd_step']}) "
                     f"| {gaps} "
                     f"| {r['nn_distance_samples']:.2f} / {r['nn_distance_test']:.2f} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment", choices=("unroll", "limited"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--only", nargs="*", help="labels to run (default: every setting of the experiment)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True, help="path without suffix: writes .json and .md")
    args = parser.parse_args(argv)
    grid = UNROLL if args.experiment == "unroll" else LIMITED
    labels = args.only or list(grid)
    jobs = [(label, grid[label], seed, args.steps) for seed in args.seeds for label in labels]
    jobs.sort(key=lambda j: -(j[1].get("k", 0) * (3 if j[1].get("step") == "true" else 1)))  # longest first
    with mp.get_context("spawn").Pool(args.processes) as pool:
        results = pool.map(_run, jobs, chunksize=1)
    results.sort(key=lambda r: (labels.index(r["label"]), r["seed"]))
    machine = f"{platform.system()} {platform.machine()}, {mp.cpu_count()} cores"
    header = (f"# Notebook 05, {args.experiment}: {dt.date.today()}\n\nmachine: {machine}, no GPU, one thread per run, "
              f"{args.processes} runs at a time\ncommand: `python benchmarks/collapse_05.py {' '.join(argv or [])}`")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"machine": machine, "results": results}, indent=1) + "\n")
    write_markdown(results, args.out.with_suffix(".md"), header)
    print(args.out.with_suffix(".md").read_text())


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
