"""Train the evaluation classifier on Fashion-MNIST and write its weights and measured accuracy.

    python -m course_utils.evaluation.train_classifier [--epochs 8] [--out DIR]

Adam with a one-cycle learning rate, light augmentation (horizontal flips, 2-pixel shifts), plain
cross-entropy (no label smoothing: the Inception Score needs confident, unsmoothed probabilities). The test
accuracy written to ``eval_classifier.json`` is measured on the 10,000 test images after training.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ..data import fashion_mnist
from ..device import describe_machine, get_device
from ..progress import progress
from ..seeding import seed_everything
from .classifier import HERE, EvalClassifier


def augment(x: torch.Tensor) -> torch.Tensor:
    """Random horizontal flips and shifts of up to 2 pixels, per batch element."""
    flip = torch.rand(x.shape[0], device=x.device) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    padded = F.pad(x, (2, 2, 2, 2), value=-1.0)
    i, j = torch.randint(0, 5, (2,)).tolist()
    return padded[:, :, i : i + 28, j : j + 28]


@torch.no_grad()
def evaluate(model: torch.nn.Module, loader: DataLoader, device) -> float:
    """Accuracy of ``model`` on ``loader``."""
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x.to(device)).argmax(1) == y.to(device)).sum().item()
        total += len(y)
    return correct / total


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)

    seed_everything(0)
    device = get_device()
    train = DataLoader(fashion_mnist(train=True), batch_size=args.batch_size, shuffle=True, num_workers=0)
    test = DataLoader(fashion_mnist(train=False), batch_size=1000)
    model = EvalClassifier().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * len(train))
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        for x, y in progress(train, desc=f"epoch {epoch + 1}/{args.epochs}"):
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(augment(x)), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}: test accuracy {evaluate(model, test, device):.4f}", flush=True)
    seconds = time.perf_counter() - start
    accuracy = evaluate(model, test, device)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(model.cpu().state_dict(), args.out / "eval_classifier.pt")
    info = {
        "test_accuracy": round(accuracy, 4),
        "test_images": len(test.dataset),
        "epochs": args.epochs,
        "train_seconds": round(seconds),
        "machine": describe_machine(),
        "device": str(device),
        "torch": torch.__version__,
        "command": " ".join(["python -m course_utils.evaluation.train_classifier", *(sys.argv[1:] if argv is None else argv)]),
        "date": dt.date.today().isoformat(),
    }
    (args.out / "eval_classifier.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))
    return info


if __name__ == "__main__":
    main()
