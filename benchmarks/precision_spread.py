"""Is the faster training configuration safe? Headline metrics per precision setting against the seed spread.

    python benchmarks/precision_spread.py [--net vae|gru] [--seeds 0 1 2] [--epochs 3] [--settings ...]

``--net vae`` (default) trains notebook 07's VAE (its own EncoderCNN / DecoderCNN / VAE / vae_loss, read from the solution notebook;
the course's ``fit``; x_sigma2 = 1e-3, z = 16, batch 128, Adam 1e-3, all 60,000 training images) for a few
epochs under each setting and seed, then measures in float32 what notebook 07 reports: test loss, KL term,
pixel MSE of reconstructions and the Frechet distance of 2,000 samples to 2,000 test images (evaluation
classifier). A setting is *safe* when its mean differs from plain float32's by less than the spread across
seeds. Settings: ``float32`` (the loop as it was), ``float32+ftz`` (denormals flushed to zero),
``bf16`` (bfloat16 autocast, adopted where it is faster). The report goes to ``benchmarks/results/``.

``--net gru`` trains notebook 02's GRU (its own text pipeline and ``GRUSentiment``, read from the solution
notebook; the notebook's recipe: Adam 2e-3, gradient norm clipped at 1, batches of similar length) on the first
5,000 training reviews for ``--epochs`` epochs and measures the test accuracy on 5,000 test reviews: the network
whose float32 step had denormals, so the one where flushing them changes numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from course_utils import seeding  # noqa: E402
from course_utils.data import fashion_mnist_tensors  # noqa: E402
from course_utils.device import Precision, describe_machine, get_device, training_precision  # noqa: E402
from course_utils.evaluation import load_eval_classifier  # noqa: E402
from course_utils.metrics import classifier_features, frechet_distance  # noqa: E402
from course_utils.notebook_code import load_definitions  # noqa: E402
from course_utils.training import fit  # noqa: E402

METRICS = ("test_loss", "test_kl", "test_mse", "sample_fd")
GRU_METRICS = ("test_accuracy", "final_train_loss")


def precision_of(setting: str) -> Precision:
    device = get_device()
    return Precision(device.type, "bfloat16" if setting == "bf16" else "float32", "spread",
                     flush_denormal=setting != "float32" and device.type == "cpu", convolutional_only=False)


def run_gru(setting: str, seed: int, epochs: int, corpus, defs) -> dict:
    from course_utils.data import SequenceBatches

    device = get_device()
    seeding.seed_everything(seed)
    model = defs["GRUSentiment"](len(corpus.vocab), 128, 128).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    batches = SequenceBatches(corpus.x_train[:5000], corpus.y_train[:5000], 64, trim_padding=True, seed=seed, device=device)
    loss_fn = lambda m, b: torch.nn.functional.binary_cross_entropy(m(b[0]), b[1].float())  # noqa: E731
    start = time.perf_counter()
    history = fit(model, batches, loss_fn, optimizer, epochs, max_grad_norm=1.0, show_progress=False,
                  precision=precision_of(setting))
    seconds = time.perf_counter() - start
    test = SequenceBatches(corpus.x_test[:5000], corpus.y_test[:5000], 256, shuffle=False, trim_padding=True, device=device)
    return {"test_accuracy": defs["accuracy"](model, test), "final_train_loss": float(np.mean(history["loss"][-20:])),
            "train_seconds": seconds}


def run(setting: str, seed: int, epochs: int, data, defs, classifier, real_features) -> dict:
    device = get_device()
    precision = precision_of(setting)
    train_images, test_images = data
    seeding.seed_everything(seed)
    model = defs["VAE"](defs["EncoderCNN"](1, 64), defs["DecoderCNN"](64, 1), (1, 28, 28), 16).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = DataLoader(TensorDataset(train_images), batch_size=128, shuffle=True,
                         generator=torch.Generator().manual_seed(seed))
    vae_loss = defs["vae_loss"]

    def step(m, batch):
        x = batch[0].to(device)
        x_rec, mu, log_sigma2 = m(x)
        return vae_loss(x, x_rec, mu, log_sigma2, 1e-3)[0]

    start = time.perf_counter()
    fit(model, batches, step, optimizer, epochs, show_progress=False, precision=precision)
    seconds = time.perf_counter() - start
    model.eval()
    totals = np.zeros(3)
    with torch.no_grad():
        for (x,) in DataLoader(TensorDataset(test_images), batch_size=500):
            x = x.to(device)
            x_rec, mu, log_sigma2 = model(x)
            loss, _, kl = vae_loss(x, x_rec, mu, log_sigma2, 1e-3)
            totals += np.array([float(loss), float(kl), float((x - x_rec).pow(2).mean())]) * len(x)
        torch.manual_seed(1000 + seed)
        samples = torch.cat([model.sample(500) for _ in range(4)])
    loss, kl, mse = totals / len(test_images)
    fd = frechet_distance(classifier_features(classifier, samples), real_features)
    return {"test_loss": loss, "test_kl": kl, "test_mse": mse, "sample_fd": fd, "train_seconds": seconds}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", choices=["vae", "gru"], default="vae")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--settings", nargs="+", default=["float32", "float32+ftz", "bf16"])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--rows", type=Path, default=None,
                        help="rebuild the report from the JSON lines a run printed (its rows), without training")
    args = parser.parse_args(argv)
    if args.rows:
        rows = [json.loads(line) for line in args.rows.read_text().splitlines() if line.startswith('{"setting"')]
        return report(args, rows, GRU_METRICS if args.net == "gru" else METRICS, get_device(), from_log=True)
    device = get_device()
    metrics = METRICS if args.net == "vae" else GRU_METRICS
    if args.net == "vae":
        defs = load_definitions("07_vae", ["EncoderCNN", "DecoderCNN", "VAE", "vae_loss"], source="solutions")
        train_images, _ = fashion_mnist_tensors(train=True)
        test_images, _ = fashion_mnist_tensors(train=False, limit=2000)
        classifier = load_eval_classifier(device)
        real_features = classifier_features(classifier, test_images)
        one = lambda setting, seed: run(setting, seed, args.epochs, (train_images, test_images), defs,  # noqa: E731
                                        classifier, real_features)
    else:
        import string

        from course_utils.data import encode_imdb

        defs = load_definitions("02_sentiment_gru_mlp", ["tokenize", "build_vocab", "encode_and_pad", "GRUSentiment",
                                                         "accuracy"], source="solutions", constants={"string": string})
        corpus = encode_imdb(defs["tokenize"], defs["build_vocab"], defs["encode_and_pad"], max_size=20000, length=400)
        one = lambda setting, seed: run_gru(setting, seed, args.epochs, corpus, defs)  # noqa: E731
    print(f"{describe_machine()}; adopted here: {training_precision(device).describe()}", flush=True)
    rows = []
    for setting in args.settings:
        for seed in args.seeds:
            if args.rows:
                continue
            r = one(setting, seed)
            rows.append({"setting": setting, "seed": seed, **{k: round(float(v), 4) for k, v in r.items()}})
            print(json.dumps(rows[-1]), flush=True)
    report(args, rows, metrics, device)


def report(args, rows, metrics, device, from_log=False):
    """The summary, the verdict per setting, and the markdown / JSON files."""
    summary = {}
    for setting in dict.fromkeys(r["setting"] for r in rows):
        mine = [r for r in rows if r["setting"] == setting]
        summary[setting] = {m: {"mean": round(statistics.mean(r[m] for r in mine), 4),
                                "spread": round(max(r[m] for r in mine) - min(r[m] for r in mine), 4)}
                            for m in (*metrics, "train_seconds")}
    base = summary["float32"] if "float32" in summary else None
    verdict = {}
    for setting, s in summary.items():
        if base is None or setting == "float32":
            continue
        verdict[setting] = {m: {"mean_difference": round(s[m]["mean"] - base[m]["mean"], 4),
                                "seed_spread": round(max(s[m]["spread"], base[m]["spread"]), 4),
                                "within_spread": abs(s[m]["mean"] - base[m]["mean"]) <= max(s[m]["spread"], base[m]["spread"])}
                            for m in metrics}
    stamp = dt.date.today().isoformat()
    payload = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": describe_machine(),
               "torch": torch.__version__, "device": str(device), "epochs": args.epochs, "seeds": args.seeds,
               "command": "python benchmarks/precision_spread.py " + " ".join(
                   a for a in sys.argv[1:] if not a.startswith("--rows")) + (" (report rebuilt from the run's printed rows)" if from_log else ""),
               "net": args.net,
               "rows": rows, "summary": summary, "verdict": verdict}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"precision-spread-{args.net}-{stamp}.json").write_text(json.dumps(payload, indent=2) + "\n")
    what = "notebook 07's VAE" if args.net == "vae" else "notebook 02's GRU"
    lines = [f"# Precision settings against the seed spread ({what}), {stamp}", "",
             f"- machine: {payload['machine']}, torch {payload['torch']}, device {device}",
             f"- command: `{payload['command']}`",
             f"- {args.epochs} epochs on " + ("60,000 images" if args.net == "vae" else "5,000 reviews") + f" per run, seeds {args.seeds}", "",
             "| setting | " + " | ".join(f"{m} mean (spread)" for m in (*metrics, "train_seconds")) + " |",
             "|---" * (len(metrics) + 2) + "|"]
    for setting, s in summary.items():
        lines.append(f"| {setting} | " + " | ".join(f"{s[m]['mean']} ({s[m]['spread']})" for m in (*metrics, "train_seconds")) + " |")
    lines += ["", "Difference of the mean from plain float32, against the larger of the two seed spreads:", ""]
    for setting, v in verdict.items():
        lines.append(f"- {setting}: " + "; ".join(f"{m} {d['mean_difference']:+} (spread {d['seed_spread']}, "
                                                    f"{'within' if d['within_spread'] else 'OUTSIDE'})" for m, d in v.items()))
    (args.out / f"precision-spread-{args.net}-{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
