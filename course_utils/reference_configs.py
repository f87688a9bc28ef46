"""The named reference configurations that :mod:`course_utils.reference` can train.

Each one is the course's own code: networks and losses read from a notebook's cells
(:mod:`course_utils.notebook_code`), trained by the course's trainer with the notebook's recipe, for a
budget longer than the notebook's. Its ``train`` function and ``params`` are part of its code
fingerprint, so changing either (or the notebook cells it reads) makes the committed reference stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class ReferenceConfig:
    """What a reference run trains: ``train(defs, params, steps, device) -> (weights, history, metrics)``.

    ``weights`` is ``{part: state_dict}``, ``history`` a JSON-able dict of the numbers over training,
    ``metrics`` the final ones. ``definitions`` are read from the release notebook (given cells),
    ``solution_definitions`` from ``solutions/`` (model answers).
    """

    name: str
    notebook: str
    description: str
    train: Callable[..., tuple[dict, dict, dict]]
    steps: int
    definitions: tuple[str, ...] = ()
    solution_definitions: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    modules: tuple[str, ...] = ("course_utils.training.gan",)


def _binned(values: list[float], width: int) -> list[float]:
    """Means over consecutive windows of ``width`` steps (a long run's loss curve, kept small)."""
    return [sum(values[i:i + width]) / len(values[i:i + width]) for i in range(0, len(values), width)]


def train_08_gan(defs: dict, params: dict, steps: int, device) -> tuple[dict, dict, dict]:
    """One of notebook 08's GANs, with the notebook's architecture and recipe, for ``steps`` generator steps;
    Inception Score and Frechet distance (evaluation classifier) every ``steps // evals`` steps."""
    import torch

    from . import seeding
    from .data import fashion_mnist_tensors, random_batches
    from .evaluation import load_eval_classifier
    from .metrics import classifier_features, classifier_probs, frechet_distance, inception_score
    from .training import train_gan

    seeding.seed_everything(params["seed"])
    z_dim, batch, width = params["z_dim"], params["batch_size"], params["width"]
    G = defs["Generator"](z_dim, width=width).to(device)
    D = defs["critic"](params["spectral"], width=width).to(device)
    make_opt = lambda p: torch.optim.Adam(p, lr=params["lr"], betas=tuple(params["betas"]))  # noqa: E731
    images, _ = fashion_mnist_tensors(train=True)
    test_images, _ = fashion_mnist_tensors(train=False, limit=params["eval_images"])
    classifier = load_eval_classifier(device)
    real_features = classifier_features(classifier, test_images)

    def scores(G, step):
        with torch.no_grad():
            samples = torch.cat([G(torch.randn(len(c), z_dim, device=device))
                                 for c in torch.arange(params["eval_images"]).split(500)])
        return {"inception_score": inception_score(classifier_probs(classifier, samples)),
                "frechet_distance": frechet_distance(classifier_features(classifier, samples), real_features)}

    pieces = {"d_loss": defs[params["d_loss"]], "g_loss": defs[params["g_loss"]], "n_critic": params["n_critic"]}
    if params.get("gradient_penalty"):
        pieces["penalty_fn"] = defs["gradient_penalty"]
    history = train_gan(G, D, random_batches(images, batch, generator=torch.Generator().manual_seed(0), device=device),
                        z_dim=z_dim, steps=steps, opt_G=make_opt(G.parameters()), opt_D=make_opt(D.parameters()),
                        batch_size=batch, eval_fn=scores, eval_every=max(1, steps // params["evals"]),
                        desc=f"reference {params['variant']}", **pieces)
    width_bins = max(1, steps // 200)
    record = {"bin_steps": width_bins, "d_loss": _binned(history.d_loss, width_bins),
              "g_loss": _binned(history.g_loss, width_bins), "evals": history.evals, "train_seconds": history.seconds}
    best = min(history.evals, key=lambda e: e["frechet_distance"])
    metrics = {"final_inception_score": round(history.evals[-1]["inception_score"], 3),
               "final_frechet_distance": round(history.evals[-1]["frechet_distance"], 2),
               "best_frechet_distance": round(best["frechet_distance"], 2), "best_step": best["step"]}
    return {"G": G.state_dict()}, record, metrics


_08_COMMON = dict(z_dim=64, batch_size=64, width=32, seed=0, evals=20, eval_images=2000)

CONFIGS: dict[str, ReferenceConfig] = {
    "08-dcgan": ReferenceConfig(
        name="08-dcgan", notebook="08_sn_wgan_gp", steps=20_000, train=train_08_gan,
        description="notebook 08's DCGAN (its Generator and critic, BCE, Adam 2e-4 / 0.5), a long run of the notebook's recipe",
        definitions=("Generator", "critic", "bce_d_loss", "bce_g_loss"),
        params=dict(_08_COMMON, variant="DCGAN", spectral=False, d_loss="bce_d_loss", g_loss="bce_g_loss",
                    n_critic=1, lr=2e-4, betas=(0.5, 0.999))),
    "08-wgan-gp": ReferenceConfig(
        name="08-wgan-gp", notebook="08_sn_wgan_gp", steps=20_000, train=train_08_gan,
        description="notebook 08's WGAN-GP (model-answer gradient penalty, 5 critic steps, Adam 1e-4 / 0.5, 0.9)",
        definitions=("Generator", "critic", "wgan_d_loss", "wgan_g_loss"), solution_definitions=("gradient_penalty",),
        params=dict(_08_COMMON, variant="WGAN-GP", spectral=False, d_loss="wgan_d_loss", g_loss="wgan_g_loss",
                    n_critic=5, gradient_penalty=True, lr=1e-4, betas=(0.5, 0.9))),
}


def train_05_gan(defs: dict, params: dict, steps: int, device) -> tuple[dict, dict, dict]:
    """One of notebook 05's Fashion-MNIST runs exactly as its ``run`` cell trains it (same networks, recipe, data
    order, seed and coverage checks), for what the notebook's budget leaves out: true unrolling (about eight
    vanilla steps per generator step on two CPU cores) and the further seeds of the runs it trains itself."""
    import numpy as np
    import torch

    from . import seeding
    from .data import fashion_mnist_tensors, random_batches
    from .evaluation import load_eval_classifier
    from .metrics import kl_to_uniform
    from .training import train_gan

    seed, z_dim, batch = params["seed"], params["z_dim"], params["batch_size"]
    eval_classifier = load_eval_classifier(device)
    fixed_noise = torch.randn(32, z_dim, generator=torch.Generator().manual_seed(1)).to(device)
    probe_noise = torch.randn(1000, z_dim, generator=torch.Generator().manual_seed(2)).to(device)

    def coverage(G, step):
        with torch.no_grad():
            counts = np.bincount(eval_classifier(G(probe_noise)).argmax(1).cpu().numpy(), minlength=10)
        return {"classes": int((counts >= 0.01 * counts.sum()).sum()), "kl": kl_to_uniform(counts)}

    if params["recipe"] == "true unrolling":
        surrogate, k, d_lr = defs["unrolled_surrogate_g_step"], params["k"], params["d_lr"]
        step = {"g_step_fn": lambda G, D, opt_G, real, z_dim: surrogate(G, D, opt_G, real, z_dim, k=k, d_lr=d_lr)}
    elif params["recipe"] == "WGAN":
        step = {"d_loss": defs["wgan_d_loss"], "g_loss": defs["wgan_g_loss"], "n_critic": 5, "clip_fn": defs["clip_"],
                "clip_value": 0.01}
    else:
        step = {"g_loss": defs["bce_g_loss"]}
    step.setdefault("d_loss", defs["bce_d_loss"])
    seeding.seed_everything(seed)
    G = defs["make_generator"](batch_norm=params["batch_norm"]).to(device)
    D = defs["make_discriminator"](spectral_norm=params["spectral_norm"]).to(device)
    images, _ = fashion_mnist_tensors(train=True)
    if params["recipe"] == "WGAN":
        make_opt = lambda p: torch.optim.RMSprop(p, lr=5e-5)  # noqa: E731
    else:
        make_opt = lambda p: torch.optim.Adam(p, lr=2e-4, betas=(0.5, 0.999))  # noqa: E731
    history = train_gan(
        G, D, random_batches(images, batch, generator=torch.Generator().manual_seed(seed), device=device),
        z_dim=z_dim, steps=steps, opt_G=make_opt(G.parameters()), opt_D=make_opt(D.parameters()), batch_size=batch,
        fixed_noise=fixed_noise, desc=f"reference 05 {params['name']}, seed {seed}", eval_fn=coverage,
        eval_every=steps // 10, **step)
    width = max(1, steps // 200)
    to_pixels = lambda x: ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).flatten(1).tolist()  # noqa: E731
    record = {"bin_steps": width, "d_loss": _binned(history.d_loss, width), "g_loss": _binned(history.g_loss, width),
              "evals": history.evals, "train_seconds": history.seconds,
              "snapshots_uint8": {str(s): to_pixels(history.snapshots[s]) for s in (steps // 2, steps)}}
    later = [e["classes"] for e in history.evals if e["step"] > 0]
    metrics = {"final_classes_eval_cnn": history.evals[-1]["classes"], "final_kl_eval_cnn": round(history.evals[-1]["kl"], 3),
               "mean_classes_eval_cnn": round(sum(later) / len(later), 2), "ms_per_step": round(history.seconds / steps * 1000, 1)}
    weights = {"G": G.state_dict(), "D": D.state_dict()} if params.get("keep_D") else {"G": G.state_dict()}
    return weights, record, metrics


_05_RUNS = {  # reference name stem: (the notebook's run name, its parameters)
    "true-unrolling": ("no BN: true unrolling", dict(recipe="true unrolling", spectral_norm=False, k=5, d_lr=0.05)),
    "vanilla": ("no BN: vanilla", dict(recipe="vanilla", spectral_norm=False)),
    "spectral-norm": ("no BN: spectral norm", dict(recipe="vanilla", spectral_norm=True)),
    "wgan": ("no BN: WGAN", dict(recipe="WGAN", spectral_norm=False)),
}
for _stem, (_run, _params) in _05_RUNS.items():
    for _seed in (range(3) if _stem == "true-unrolling" else (1, 2)):
        _name = f"05-{_stem}-seed{_seed}"
        CONFIGS[_name] = ReferenceConfig(
            name=_name, notebook="05_mode_collapse", steps=4000, train=train_05_gan,
            description=f"notebook 05's '{_run}' on Fashion-MNIST, seed {_seed}: the notebook's own run, outside its budget",
            definitions=("make_generator", "make_discriminator")
            + (("wgan_d_loss", "wgan_g_loss", "clip_") if _stem == "wgan" else ())
            + (() if _stem == "true-unrolling" else ("bce_d_loss", "bce_g_loss")),
            # the model answer and the loss it calls, run together (the loss is a given cell, the same in both)
            solution_definitions=("bce_d_loss", "bce_g_loss", "unrolled_surrogate_g_step") if _stem == "true-unrolling" else (),
            constants={"Z_DIM": 64},
            params=dict(_params, name=_run, seed=_seed, z_dim=64, batch_size=64, batch_norm=False,
                        keep_D=_stem == "true-unrolling" and _seed == 0))  # D for the table's D gap
