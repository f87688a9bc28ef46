"""The named reference configurations that :mod:`course_utils.reference` can train.

Each one is the course's own code: networks and losses read from a notebook's cells
(:mod:`course_utils.notebook_code`), trained by the course's trainer with the notebook's recipe, for a
budget longer than the notebook's. Its ``train`` function and ``params`` are part of its code
fingerprint, so changing either (or the notebook cells it reads) makes the committed reference stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


# The course's trainer as a reference's fingerprint sees it: the reference trainer, the GAN facade, the loop, its steps
# and callbacks.
TRAINER = ("course_utils.reference_trainer", "course_utils.training.gan", "course_utils.training.loop",
           "course_utils.training.steps", "course_utils.training.callbacks", "course_utils.training.history")


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
    constants: tuple[str, ...] = ()  # the notebook's literal constants it reads (Z_DIM, a RECIPE): into params and definitions
    modules: tuple[str, ...] = TRAINER
    recipe: tuple[str, str] | None = None  # (table, entry): the notebook's own recipe, e.g. ("RECIPES", "DCGAN")


def train_08_gan(defs: dict, params: dict, steps: int, device) -> tuple[dict, dict, dict]:
    """One of notebook 08's GANs exactly as its ``train`` cell trains it (its Generator and critic at
    ``params["width"]``, and the notebook's own recipe for it: losses, critic steps, clipping or gradient penalty,
    optimiser, batch size), for ``steps`` generator steps; Inception Score and Frechet distance (evaluation
    classifier, ``eval_images`` samples against as many test images) every ``steps // evals`` steps, with the
    training seconds so far; at the end the same two scores on 10,000 samples against the 10,000 test images."""
    import time

    import torch

    from . import reference_trainer, seeding
    from .data import fashion_mnist_tensors, random_batches
    from .evaluation import load_eval_classifier
    from .metrics import classifier_features, classifier_probs, frechet_distance, inception_score
    from .training import recipes

    recipe, width, z_dim = params["recipe"], params["width"], params["Z_DIM"]
    seeding.seed_everything(params["seed"])
    G = defs["Generator"](z_dim, width=width).to(device)
    D = defs["critic"](**recipe["model"], width=width).to(device)
    pieces = recipes.gan_arguments(recipe, defs)
    images, _ = fashion_mnist_tensors(train=True)
    test_images, _ = fashion_mnist_tensors(train=False)
    classifier = load_eval_classifier(device)
    real_features = classifier_features(classifier, test_images[:params["eval_images"]])
    fixed = torch.randn(32, z_dim, generator=torch.Generator().manual_seed(1)).to(device)
    start = time.perf_counter()

    def sample(n):
        with torch.no_grad():
            return torch.cat([G(torch.randn(len(c), z_dim, device=device)) for c in torch.arange(n).split(500)])

    def scores(G, step):
        samples = sample(params["eval_images"])
        return {"inception_score": inception_score(classifier_probs(classifier, samples)),
                "frechet_distance": frechet_distance(classifier_features(classifier, samples), real_features),
                "seconds": round(time.perf_counter() - start, 1)}

    def summarise(history):
        G.eval()
        samples = sample(10_000)
        final_is = inception_score(classifier_probs(classifier, samples))
        final_fd = frechet_distance(classifier_features(classifier, samples), classifier_features(classifier, test_images))
        best = min(history.evals, key=lambda e: e["frechet_distance"])
        return {"final_inception_score": round(history.evals[-1]["inception_score"], 3),
                "final_frechet_distance": round(history.evals[-1]["frechet_distance"], 2),
                "best_frechet_distance": round(best["frechet_distance"], 2), "best_step": best["step"],
                "final_inception_score_10k": round(final_is, 3), "final_frechet_distance_10k": round(final_fd, 2),
                "ms_per_step": round(history.seconds / steps * 1000, 2)}

    batches = random_batches(images, pieces["batch_size"], generator=torch.Generator().manual_seed(0), device=device)
    return reference_trainer.train(reference_trainer.GanRun(G, D, batches, dict(
        z_dim=z_dim, opt_G=recipes.optimizer_for(recipe, G.parameters()),
        opt_D=recipes.optimizer_for(recipe, D.parameters()), fixed_noise=fixed, eval_fn=scores,
        eval_every=max(1, steps // params["evals"]), desc=f"reference {params['variant']}, width {width}", **pieces),
        summarise), steps)


# Notebook 08's GANs, each with the recipe the notebook declares for it (its RECIPES table, read at training time).
_08_RUNS = {"dcgan": "DCGAN", "sn-gan": "SN-GAN", "wgan": "WGAN", "wgan-sn": "WGAN + SN", "wgan-gp": "WGAN-GP",
            "wgan-gp-ncritic1": "WGAN-GP (1 critic step)"}
_08_COMMON = dict(seed=0, evals=20, eval_images=2000, width=32)

CONFIGS: dict[str, ReferenceConfig] = {}
for _stem, _variant in _08_RUNS.items():
    _name = f"08-{_stem}"
    CONFIGS[_name] = ReferenceConfig(
        name=_name, notebook="08_sn_wgan_gp", steps=200_000, train=train_08_gan, recipe=("RECIPES", _variant),
        description=f"notebook 08's {_variant} (its Generator and critic, its recipe), trained far beyond the notebook's budget",
        definitions=("Generator", "critic", "bce_d_loss", "bce_g_loss", "wgan_d_loss", "wgan_g_loss", "clip_weights_"),
        solution_definitions=("gradient_penalty",) if "gp" in _stem else (), constants=("Z_DIM",),
        modules=(*TRAINER, "course_utils.training.recipes"), params=dict(_08_COMMON, variant=_variant))


def train_05_gan(defs: dict, params: dict, steps: int, device) -> tuple[dict, dict, dict]:
    """One of notebook 05's Fashion-MNIST runs exactly as its ``train`` cell trains it: its networks and its
    ``RECIPES`` entry (losses, optimiser, batch norm in G, spectral norm in D, and for the unrolled run the
    look-ahead of the model answer ``unrolled_g_step``), the same data order and seed, and the same checks every
    tenth of the run (:func:`course_utils.metrics.coverage_probe`); for the seeds the notebook's budget leaves out."""
    import torch

    from . import reference_trainer, seeding
    from .data import fashion_mnist_tensors, random_batches
    from .evaluation import load_eval_classifier
    from .metrics import classifier_features, coverage_probe
    from .training import recipes

    seed, z_dim = params["seed"], params["Z_DIM"]
    recipe = dict(params["recipe"])
    model, unroll = recipe.pop("model"), recipe.pop("unroll", None)
    pieces = recipes.gan_arguments(recipe, defs)
    if unroll is not None:
        step = defs["unrolled_g_step"]
        pieces["g_step_fn"] = lambda G, D, opt_G, real, z_dim: step(G, D, opt_G, real, z_dim, **unroll)  # noqa: E731
    images, _ = fashion_mnist_tensors(train=True)
    test_images, _ = fashion_mnist_tensors(train=False)
    eval_classifier = load_eval_classifier(device)
    fixed_noise = torch.randn(32, z_dim, generator=torch.Generator().manual_seed(1)).to(device)
    probe_noise = torch.randn(1000, z_dim, generator=torch.Generator().manual_seed(2)).to(device)
    seeding.seed_everything(seed)
    G = defs["make_generator"](batch_norm=model["batch_norm"]).to(device)
    D = defs["make_discriminator"](spectral_norm=model["spectral_norm"]).to(device)
    probe = coverage_probe(G, D, eval_classifier, probe_noise, classifier_features(eval_classifier, test_images[:1000]),
                           seen=images[:500], unseen=test_images[-500:])

    def summarise(history):
        later = [e["classes"] for e in history.evals if e["step"] > 0]
        end = history.evals[-1]
        return {"final_classes_eval_cnn": end["classes"], "final_kl_eval_cnn": round(end["kl"], 3),
                "final_frechet_distance": round(end["fd"], 1), "mean_classes_eval_cnn": round(sum(later) / len(later), 2),
                "ms_per_step": round(history.seconds / steps * 1000, 1)}

    batches = random_batches(images, pieces["batch_size"], generator=torch.Generator().manual_seed(seed), device=device)
    return reference_trainer.train(reference_trainer.GanRun(G, D, batches, dict(
        z_dim=z_dim, opt_G=recipes.optimizer_for(recipe, G.parameters()),
        opt_D=recipes.optimizer_for(recipe, D.parameters()), fixed_noise=fixed_noise,
        desc=f"reference 05 {params['name']}, seed {seed}", eval_fn=probe, eval_every=steps // 10, **pieces),
        summarise), steps)


# Notebook 05's no-BN runs (its RECIPES entries): seed 0 trains in the notebook, seeds 1 and 2 here.
_05_RUNS = {"vanilla": "no BN: vanilla", "unrolled": "no BN: unrolled", "wgan": "no BN: WGAN",
            "spectral-norm": "no BN: spectral norm"}
for _stem, _run in _05_RUNS.items():
    for _seed in (1, 2):
        _name = f"05-{_stem}-seed{_seed}"
        CONFIGS[_name] = ReferenceConfig(
            name=_name, notebook="05_mode_collapse", steps=4000, train=train_05_gan, recipe=("RECIPES", _run),
            description=f"notebook 05's '{_run}' on Fashion-MNIST, seed {_seed}: the notebook's own run, outside its budget",
            definitions=("make_generator", "make_discriminator", "bce_d_loss", "bce_g_loss", "wgan_d_loss", "wgan_g_loss",
                         "clip_"),
            # the model answer and the losses it calls, run together (the losses are given cells, the same in both)
            solution_definitions=("bce_d_loss", "bce_g_loss", "unrolled_g_step") if _stem == "unrolled" else (),
            constants=("Z_DIM",), modules=(*TRAINER, "course_utils.training.recipes", "course_utils.metrics.coverage"),
            params=dict(name=_run, seed=_seed))


def train_06_cgan(defs: dict, params: dict, steps: int, device) -> tuple[dict, dict, dict]:
    """Notebook 06's conditional GAN exactly as its ``train`` cell trains it (the model-answer networks and one-hot
    labels, its losses, its matching-aware discriminator's wrong labels, its ``RECIPE`` and sizes), for ``steps``
    generator steps; every ``steps // evals`` steps the evaluation classifier scores ``per_class`` samples of each
    requested class: conditional accuracy, the worst class, Inception Score and Frechet distance against the test set."""
    import time

    import numpy as np
    import torch

    from . import reference_trainer, seeding
    from .data import fashion_mnist_tensors, random_batches
    from .evaluation import load_eval_classifier
    from .metrics import classifier_features, classifier_probs, frechet_distance, inception_score
    from .training import recipes

    z_dim, k, batch = params["Z_DIM"], params["NUM_CLASSES"], params["BATCH_SIZE"]
    one_hot = defs["one_hot"]
    images, labels = fashion_mnist_tensors(train=True)
    test_images, test_labels = fashion_mnist_tensors(train=False)
    classifier = load_eval_classifier(device)
    real_features = classifier_features(classifier, test_images)
    real_predicted = classifier_probs(classifier, test_images).argmax(1).cpu()
    real_per_class = [float((real_predicted[test_labels == c] == c).float().mean()) for c in range(k)]
    seeding.seed_everything(params["seed"])
    G = defs["ConditionalGenerator"](z_dim, k).to(device)
    D = defs["ConditionalDiscriminator"](k).to(device)

    def noise(n):
        return torch.randn(n, z_dim, device=device), one_hot(torch.randint(k, (n,), device=device), k)

    requested = torch.arange(k, device=device).repeat_interleave(params["per_class"])
    probe_z = torch.randn(len(requested), z_dim, generator=torch.Generator().manual_seed(2)).to(device)
    grid_labels = torch.arange(k).repeat_interleave(3).to(device)
    grid_z = torch.randn(3, z_dim, generator=torch.Generator().manual_seed(1)).repeat(k, 1).to(device)
    start = time.perf_counter()

    def scores(G, step):
        with torch.no_grad():
            x = torch.cat([G(z, one_hot(c, k)) for z, c in zip(probe_z.split(1000), requested.split(1000))])
        probs = classifier_probs(classifier, x)
        predicted, wanted = probs.argmax(1).cpu(), requested.cpu()
        per_class = [float((predicted[wanted == c] == c).float().mean()) for c in range(k)]
        return {"conditional_accuracy": float((predicted == wanted).float().mean()),
                "worst_class_accuracy": min(per_class), "per_class": [round(a, 4) for a in per_class],
                "classes_within_10_points": sum(r - a <= 0.10 for r, a in zip(real_per_class, per_class)),
                "inception_score": inception_score(probs),
                "frechet_distance": frechet_distance(classifier_features(classifier, x), real_features),
                "seconds": round(time.perf_counter() - start, 1)}

    def summarise(history):
        last = history.evals[-1]
        best = max(history.evals, key=lambda e: e["conditional_accuracy"])
        return {"final_conditional_accuracy": round(last["conditional_accuracy"], 4),
                "final_worst_class_accuracy": round(last["worst_class_accuracy"], 4),
                "final_classes_within_10_points": last["classes_within_10_points"],
                "final_inception_score": round(last["inception_score"], 3),
                "final_frechet_distance": round(last["frechet_distance"], 2),
                "best_conditional_accuracy": round(best["conditional_accuracy"], 4), "best_step": best["step"],
                "ms_per_step": round(history.seconds / steps * 1000, 2),
                "real_accuracy_mean": round(float(np.mean(real_per_class)), 4)}

    batches = random_batches(images, batch, generator=torch.Generator().manual_seed(0), device=device,
                             labels=one_hot(labels, k))
    return reference_trainer.train(reference_trainer.GanRun(G, D, batches, dict(
        z_dim=z_dim, opt_G=recipes.optimizer_for(params["RECIPE"], G.parameters()),
        opt_D=recipes.optimizer_for(params["RECIPE"], D.parameters()), d_loss=defs["d_loss"], g_loss=defs["g_loss"],
        noise=noise, fixed_noise=(grid_z, one_hot(grid_labels, k)), mismatched=defs["wrong_labels"], batch_size=batch,
        eval_fn=scores, eval_every=max(1, steps // params["evals"]), desc="reference 06 cGAN"),
        summarise, record={"real_per_class": real_per_class}), steps)


CONFIGS["06-cgan"] = ReferenceConfig(
    name="06-cgan", notebook="06_conditional_gan", steps=100_000, train=train_06_cgan,
    description="notebook 06's conditional GAN (model-answer networks, matching-aware D, its RECIPE), "
                "trained far beyond the notebook's budget",
    solution_definitions=("one_hot", "ConditionalGenerator", "ConditionalDiscriminator", "d_loss", "g_loss",
                          "wrong_labels"),
    constants=("Z_DIM", "NUM_CLASSES", "BATCH_SIZE", "RECIPE"), modules=(*TRAINER, "course_utils.training.recipes"),
    params=dict(seed=0, per_class=1000, evals=20))
