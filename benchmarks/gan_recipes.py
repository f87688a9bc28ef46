"""Quality per CPU-second of notebook 08's GAN recipes: each objective at a few optimiser settings, equal CPU time.

Every run trains notebook 08's own ``Generator`` and ``critic`` with its losses, clipping and gradient penalty
(read from the notebook by :mod:`course_utils.notebook_code`) and the recipe the notebook declares in its
``RECIPES`` table, changed in one or two settings (learning rate, betas, batch size, width). Each run gets the
same budget of CPU seconds on one thread (``time.process_time``: what a run costs, whatever else the machine
does) and is stopped when it is spent; every ``budget / evals`` CPU seconds the evaluation classifier measures
the Inception Score and the Frechet distance of 2,000 samples against 2,000 test images, as the notebook does.
Runs go two at a time (one per core, one thread each), as the notebook trains them.

    python benchmarks/gan_recipes.py --budget 240 --out benchmarks/results/gan-recipes-08-DATE

writes ``.json`` (every curve) and ``.md`` (a table per objective). ``--only NAME`` runs one objective.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import sys
import time
from pathlib import Path

# Each objective: the settings tried, as changes to the notebook's recipe (the first is the paper's setting).
GRID = {
    "DCGAN": {"Adam 2e-4 (paper)": {"lr": 2e-4, "betas": (0.5, 0.999), "batch_size": 64},
              "Adam 1e-3": {"lr": 1e-3, "betas": (0.5, 0.999), "batch_size": 64},
              "Adam 1e-3, batch 128": {"lr": 1e-3, "betas": (0.5, 0.999), "batch_size": 128},
              "Adam 1e-3, width 48": {"lr": 1e-3, "betas": (0.5, 0.999), "batch_size": 64, "width": 48}},
    "SN-GAN": {"Adam 2e-4 (paper)": {"lr": 2e-4, "betas": (0.5, 0.999), "batch_size": 64},
               "Adam 1e-3": {"lr": 1e-3, "betas": (0.5, 0.999), "batch_size": 64},
               "Adam 2e-3": {"lr": 2e-3, "betas": (0.5, 0.999), "batch_size": 64}},
    "WGAN": {"RMSprop 5e-5 (paper)": {"optimizer": "rmsprop", "lr": 5e-5, "batch_size": 64},
             "RMSprop 2e-4": {"optimizer": "rmsprop", "lr": 2e-4, "batch_size": 64},
             "RMSprop 1e-3": {"optimizer": "rmsprop", "lr": 1e-3, "batch_size": 64}},
    "WGAN + SN": {"Adam 1e-4, betas (0.5, 0.9) (paper)": {"lr": 1e-4, "betas": (0.5, 0.9), "batch_size": 64},
                  "Adam 1e-3, betas (0.5, 0.9)": {"lr": 1e-3, "betas": (0.5, 0.9), "batch_size": 64},
                  "Adam 5e-4, betas (0.5, 0.9)": {"lr": 5e-4, "betas": (0.5, 0.9), "batch_size": 64}},
    "WGAN-GP": {"Adam 1e-4, betas (0.5, 0.9) (paper)": {"lr": 1e-4, "betas": (0.5, 0.9), "batch_size": 64},
                "Adam 1e-3, betas (0.5, 0.9)": {"lr": 1e-3, "betas": (0.5, 0.9), "batch_size": 64},
                "Adam 5e-4, betas (0.5, 0.9)": {"lr": 5e-4, "betas": (0.5, 0.9), "batch_size": 64},
                "Adam 1e-3, betas (0.0, 0.9)": {"lr": 1e-3, "betas": (0.0, 0.9), "batch_size": 64}},
    "WGAN-GP (1 critic step)": {"Adam 1e-4, betas (0.5, 0.9) (paper)": {"lr": 1e-4, "betas": (0.5, 0.9), "batch_size": 64},
                                "Adam 1e-3, betas (0.5, 0.9)": {"lr": 1e-3, "betas": (0.5, 0.9), "batch_size": 64},
                                "Adam 1e-3, betas (0.0, 0.9)": {"lr": 1e-3, "betas": (0.0, 0.9), "batch_size": 64}},
}
NOTEBOOK = "08_sn_wgan_gp"
DEFINITIONS = ("Generator", "critic", "bce_d_loss", "bce_g_loss", "wgan_d_loss", "wgan_g_loss", "clip_weights_")
Z_DIM, EVAL_IMAGES = 64, 2000


class _BudgetSpent(Exception):
    """Raised from the evaluation hook once the run has used its CPU seconds."""


def run_one(name: str, label: str, changes: dict, budget: float, evals: int, seed: int) -> dict:
    """Train one (objective, setting) for ``budget`` CPU seconds on one thread; its curve of IS / FD."""
    import torch

    torch.set_num_threads(1)
    from course_utils import seeding
    from course_utils.data import fashion_mnist_tensors, random_batches
    from course_utils.device import get_device
    from course_utils.evaluation import load_eval_classifier
    from course_utils.metrics import classifier_features, classifier_probs, frechet_distance, inception_score
    from course_utils.notebook_code import load_constants, load_definitions
    from course_utils.training import recipes, train_gan

    device = get_device()
    defs = load_definitions(NOTEBOOK, DEFINITIONS)
    defs.update(load_definitions(NOTEBOOK, ["gradient_penalty"], "solutions"))
    changes = dict(changes)
    width = changes.pop("width", 32)
    recipe = recipes.with_changes(load_constants(NOTEBOOK, ["RECIPES"])["RECIPES"][name], **changes)
    images, _ = fashion_mnist_tensors(train=True)
    test_images, _ = fashion_mnist_tensors(train=False, limit=EVAL_IMAGES)
    classifier = load_eval_classifier(device)
    real_features = classifier_features(classifier, test_images)
    seeding.seed_everything(seed)
    G = defs["Generator"](Z_DIM, width=width).to(device)
    D = defs["critic"](**recipe["model"], width=width).to(device)
    pieces = recipes.gan_arguments(recipe, defs)
    curve: list[dict] = []
    start, eval_cpu = time.process_time(), 0.0

    def measure(G, step):
        nonlocal eval_cpu
        t0 = time.process_time()
        with torch.no_grad():
            samples = torch.cat([G(torch.randn(len(c), Z_DIM, device=device)) for c in torch.arange(EVAL_IMAGES).split(500)])
        curve.append({"step": step, "cpu_s": round(t0 - start - eval_cpu, 1),
                      "inception_score": round(inception_score(classifier_probs(classifier, samples)), 3),
                      "frechet_distance": round(frechet_distance(classifier_features(classifier, samples), real_features), 2)})
        eval_cpu += time.process_time() - t0

    def hook(G, step):  # called every few steps; training CPU excludes the measurements' own
        used = time.process_time() - start - eval_cpu
        if step == 0 or used >= len(curve) * budget / evals:
            measure(G, step)
        if used >= budget:
            raise _BudgetSpent
        return {}

    try:
        train_gan(G, D, random_batches(images, pieces["batch_size"], generator=torch.Generator().manual_seed(seed), device=device),
                  z_dim=Z_DIM, steps=10**7, opt_G=recipes.optimizer_for(recipe, G.parameters()),
                  opt_D=recipes.optimizer_for(recipe, D.parameters()), eval_fn=hook, eval_every=5, n_snapshots=1,
                  show_progress=False, **pieces)
    except _BudgetSpent:
        pass
    best = min(curve, key=lambda e: e["frechet_distance"])
    return {"gan": name, "setting": label, "changes": changes | ({"width": width} if width != 32 else {}),
            "seed": seed, "budget_cpu_s": budget, "steps": curve[-1]["step"], "curve": curve,
            "final_is": curve[-1]["inception_score"], "final_fd": curve[-1]["frechet_distance"],
            "best_fd": best["frechet_distance"], "best_fd_cpu_s": best["cpu_s"],
            "ms_per_step": round(1000 * curve[-1]["cpu_s"] / max(1, curve[-1]["step"]), 1)}


def _run(args):
    return run_one(*args)


def write_markdown(results: list[dict], path: Path, header: str) -> None:
    lines = [header, ""]
    for name in dict.fromkeys(r["gan"] for r in results):
        lines += [f"## {name}", "", "| setting | seed | steps | ms / step | IS end | FD end | best FD (at CPU s) |",
                  "|---|---|---|---|---|---|---|"]
        for r in (r for r in results if r["gan"] == name):
            lines.append(f"| {r['setting']} | {r['seed']} | {r['steps']:,} | {r['ms_per_step']} | {r['final_is']:.2f} | "
                         f"{r['final_fd']:.1f} | {r['best_fd']:.1f} ({r['best_fd_cpu_s']:.0f}) |")
        lines.append("")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=240, help="CPU seconds per run (one thread)")
    parser.add_argument("--evals", type=int, default=6, help="measurements per run, evenly spread over the budget")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None, help="objectives to run (default: all)")
    parser.add_argument("--settings", nargs="*", default=None, help="setting labels to run (default: all)")
    parser.add_argument("--seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--out", type=Path, required=True, help="path stem for .json and .md")
    args = parser.parse_args(argv)
    from course_utils.device import describe_machine

    tasks = [(name, label, changes, args.budget, args.evals, seed) for name, settings in GRID.items()
             if args.only is None or name in args.only for label, changes in settings.items()
             if args.settings is None or label in args.settings for seed in args.seeds]
    began, results = time.perf_counter(), []
    with mp.get_context("spawn").Pool(args.workers, maxtasksperchild=1) as pool:  # a fresh process per run
        for r in pool.imap_unordered(_run, tasks):
            results.append(r)
            print(f"{r['gan']:>24} | {r['setting']:<38} seed {r['seed']}: {r['steps']:>6,} steps, IS {r['final_is']:.2f}, "
                  f"FD {r['final_fd']:.1f} (best {r['best_fd']:.1f})", flush=True)
            print("RESULT " + json.dumps(r), flush=True)  # every finished run is in the log, should a later one fail
    order = {(t[0], t[1], t[5]): i for i, t in enumerate(tasks)}
    results.sort(key=lambda r: order[r["gan"], r["setting"], r["seed"]])
    meta = {"command": "python " + " ".join(sys.argv), "machine": describe_machine(),
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "wall_s": round(time.perf_counter() - began, 1), "budget_cpu_s": args.budget, "evals": args.evals,
            "eval_images": EVAL_IMAGES}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"meta": meta, "runs": results}, indent=1) + "\n")
    write_markdown(results, args.out.with_suffix(".md"),
                   f"# Notebook 08's recipes at equal CPU time\n\n`{meta['command']}` on {meta['machine']}, {meta['date']}: "
                   f"{args.budget:g} CPU seconds per run on one thread, two runs at a time; IS / FD of {EVAL_IMAGES:,} samples "
                   f"against {EVAL_IMAGES:,} test images (evaluation classifier). Wall time {meta['wall_s'] / 60:.1f} min.")
    print(f"wrote {args.out.with_suffix('.json')} and .md")


if __name__ == "__main__":
    main()
