"""The grade cells against answers they have never seen: correct ones written another way must pass,
subtly wrong ones must fail the test they violate.

Each case runs the solution notebook's code cells that define the graded names (setup and solution cells),
replaces one definition with a variant, then runs one grade cell, hidden tests included, in the same
process. Fast (no kernel, no nbgrader); the sample submissions check the same through the real pipeline.
"""

from __future__ import annotations

import textwrap

import nbformat
import pytest

from autograder import course


def _cells(assignment: str) -> dict[str, str]:
    nb = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id", c.get("id")): c.source for c in nb.cells if c.cell_type == "code"}


def run_grade_cell(assignment: str, grade_id: str, variant: str = "") -> None:
    """Exec setup + solution cells + ``variant`` (redefinitions), then the grade cell; raises if a test fails."""
    cells = _cells(assignment)
    namespace: dict = {"__name__": "__main__"}
    nb = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("grade_id") == "setup" or (meta.get("solution") and not meta.get("grade"))):
            exec(compile(cell.source, f"<{meta.get('grade_id')}>", "exec"), namespace)
    if variant:
        exec(compile(textwrap.dedent(variant), "<variant>", "exec"), namespace)
    exec(compile(cells[grade_id], f"<{grade_id}>", "exec"), namespace)


def expect_fail(assignment: str, grade_id: str, variant: str) -> None:
    """The grade cell must fail with a test's message (an AssertionError), not crash on the variant."""
    with pytest.raises(AssertionError):
        run_grade_cell(assignment, grade_id, variant)


# ----------------------------------------------------------------------------------------------- 07_vae
VAE = "07_vae"

LOSS = """
def vae_loss(x, xr, z_mu, z_log_sigma2, x_sigma2):
    d_x = x[0].numel()
    data = ((x - xr) ** 2).flatten(1).sum(1) / (x_sigma2 * d_x)
    kl = (z_log_sigma2.exp() + z_mu ** 2 - 1 - z_log_sigma2).sum(1)
    {change}
    return data.mean() + kl.mean(), data.mean(), kl.mean()
"""


@pytest.mark.parametrize("name, variant", [
    ("per-sample einsum loss", LOSS.replace("{change}", "pass").replace(
        "((x - xr) ** 2).flatten(1).sum(1)", "torch.einsum('bi,bi->b', (x - xr).flatten(1), (x - xr).flatten(1))")),
    ("F.mse_loss with mean", """
        import torch.nn.functional as F
        def vae_loss(x, xr, z_mu, z_log_sigma2, x_sigma2):
            data = F.mse_loss(xr, x, reduction="none").flatten(1).mean(1).mean() / x_sigma2
            kl = (torch.exp(z_log_sigma2) - z_log_sigma2 + z_mu.pow(2) - 1).sum(-1).mean()
            return data + kl, data, kl
    """),
])
def test_vae_loss_accepts_other_correct_forms(name, variant):
    run_grade_cell(VAE, "test_vae_loss", variant)


@pytest.mark.parametrize("name, variant", [
    ("textbook KL with a 1/2 factor", LOSS.replace("{change}", "kl = 0.5 * kl")),
    ("summed over the batch", LOSS.replace("{change}", "data, kl = data * len(x), kl * len(x)")),
    ("d_x counts the batch", LOSS.replace("{change}", "data = data / len(x)")),
    ("KL without -d_z", LOSS.replace("{change}", "kl = kl + z_mu.shape[1]")),
    ("log det with the wrong sign", LOSS.replace("{change}", "kl = kl + 2 * z_log_sigma2.sum(1)")),
    ("detached KL", LOSS.replace("{change}", "kl = kl.detach()")),
])
def test_vae_loss_rejects_subtle_mistakes(name, variant):
    expect_fail(VAE, "test_vae_loss", variant)


ENCODE = """
def _encode(self, x):
    h = self.features_encoder(x).flatten(start_dim=1)
    mu, log_sigma2 = self.to_mu(h), self.to_log_sigma2(h)
    {z}
    return z, mu, log_sigma2
VAE.encode = _encode
"""


@pytest.mark.parametrize("name, z", [
    ("sigma = exp(log_sigma2)", "z = mu + torch.exp(log_sigma2) * torch.randn_like(mu)"),
    ("sigma = log_sigma2", "z = mu + log_sigma2 * torch.randn_like(mu)"),
    ("one eps for the whole batch", "z = mu + torch.exp(0.5 * log_sigma2) * torch.randn(mu.shape[1])"),
    ("eps detached through sigma", "z = mu + torch.exp(0.5 * log_sigma2).detach() * torch.randn_like(mu)"),
    ("mu in eval mode", "z = mu + torch.exp(0.5 * log_sigma2) * torch.randn_like(mu) if self.training else mu"),
    ("uniform noise", "z = mu + torch.exp(0.5 * log_sigma2) * (torch.rand_like(mu) * 2 - 1) * 3 ** 0.5"),
])
def test_encode_rejects_a_wrong_reparameterisation(name, z):
    expect_fail(VAE, "test_vae_encode", ENCODE.replace("{z}", z))


def test_encode_accepts_sqrt_exp_and_randn():
    run_grade_cell(VAE, "test_vae_encode", ENCODE.replace(
        "{z}", "z = mu + torch.sqrt(torch.exp(log_sigma2)) * torch.randn(mu.shape, device=mu.device)"))


def test_decoder_with_a_final_tanh_fails_the_feature_test():
    expect_fail(VAE, "test_cnn_features", """
        class DecoderCNN(nn.Module):
            def __init__(self, in_channels, out_channels):
                super().__init__()
                self.net = nn.Sequential(nn.ConvTranspose2d(in_channels, 32, 4, 2, 1), nn.ReLU(),
                                         nn.ConvTranspose2d(32, out_channels, 4, 2, 1), nn.Tanh())
            def forward(self, h):
                return self.net(h)
    """)


def test_sample_with_gradients_fails():
    expect_fail(VAE, "test_vae_decode_sample_forward", """
        def _sample(self, n):
            return self.decode(torch.randn(n, self.z_dim))
        VAE.sample = _sample
    """)


# ------------------------------------------------------------------------------------------ 08_sn_wgan_gp
SN = "08_sn_wgan_gp"

GP = """
def gradient_penalty(D, real, fake, lambda_gp=10.0):
    eps = {eps}
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    scores = D(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph={create_graph})
    norms = {norms}
    return {result}
"""
GOOD = {"eps": "torch.rand(real.shape[0], 1, 1, 1)", "create_graph": "True",
        "norms": "grad.flatten(1).norm(dim=1)", "result": "lambda_gp * ((norms - 1) ** 2).mean()"}


def _gp(**change) -> str:
    parts = {**GOOD, **change}
    src = GP
    for key, value in parts.items():
        src = src.replace("{" + key + "}", value)
    return src


def test_gradient_penalty_accepts_a_variant_written_another_way():
    run_grade_cell(SN, "test_gradient_penalty", _gp(
        eps="torch.rand(real.size(0), *([1] * (real.dim() - 1)), device=real.device)",
        norms="grad.pow(2).sum(dim=tuple(range(1, grad.dim()))).sqrt()"))


@pytest.mark.parametrize("name, change", [
    ("built without create_graph (does not reach D's parameters)", {"create_graph": "False"}),
    ("one epsilon per pixel", {"eps": "torch.rand_like(real)"}),
    ("one epsilon for the whole batch", {"eps": "torch.rand(1)"}),
    ("normal epsilon", {"eps": "torch.randn(real.shape[0], 1, 1, 1)"}),
    ("norm over the channel dimension only", {"norms": "grad.norm(dim=1).flatten(1).mean(1)"}),
    ("summed over the batch", {"result": "lambda_gp * ((norms - 1) ** 2).sum()"}),
    ("lambda ignored", {"result": "10.0 * ((norms - 1) ** 2).mean()"}),
    ("squared norm", {"norms": "grad.flatten(1).pow(2).sum(1)"}),
])
def test_gradient_penalty_rejects_subtle_mistakes(name, change):
    expect_fail(SN, "test_gradient_penalty", _gp(**change))


POWER = """
def power_iteration(W, u, n_iters=1):
    for _ in range({iters}):
        v = W.t() @ u
        {normalise_v}
        u = W @ v
        u = u / u.norm()
    return {result}
"""


def _power(**change) -> str:
    parts = {"iters": "n_iters", "normalise_v": "v = v / v.norm()", "result": "u @ W @ v, u", **change}
    src = POWER
    for key, value in parts.items():
        src = src.replace("{" + key + "}", value)
    return src


def test_power_iteration_accepts_torchs_sigma():
    run_grade_cell(SN, "test_power_iteration", _power(result="(W.t() @ u).norm(), u"))


@pytest.mark.parametrize("name, change", [
    ("v not normalised", {"normalise_v": "pass"}),
    ("always one step", {"iters": "1"}),
    ("one step too many", {"iters": "n_iters + 1"}),
    ("Frobenius norm instead of the spectral norm", {"result": "W.norm(), u"}),
])
def test_power_iteration_rejects_subtle_mistakes(name, change):
    expect_fail(SN, "test_power_iteration", _power(**change))


def test_power_iteration_that_returns_the_starting_u_fails():
    expect_fail(SN, "test_power_iteration", """
        def power_iteration(W, u, n_iters=1):
            x = u
            for _ in range(n_iters):
                v = W.t() @ x
                v = v / v.norm()
                x = W @ v
                x = x / x.norm()
            return x @ W @ v, u
    """)


# ----------------------------------------------------------------------------------------------- 06_conditional_gan
@pytest.mark.parametrize("name, variant", [
    ("F.one_hot on the labels as given (the text promises int64)", """
        def one_hot(labels, num_classes=10):
            return F.one_hot(labels, num_classes).float()
    """),
    ("scatter into zeros", """
        def one_hot(labels, num_classes=10):
            out = torch.zeros(len(labels), num_classes, device=labels.device)
            return out.scatter_(1, labels.view(-1, 1), 1.0)
    """),
])
def test_one_hot_accepts_other_correct_forms(name, variant):
    run_grade_cell("06_conditional_gan", "test_one_hot", variant)
