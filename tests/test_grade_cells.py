"""The grade cells against answers they have never seen: correct ones written another way must pass,
subtly wrong ones must fail the test they violate.

Each case runs the solution notebook's code cells that define the graded names (setup and solution cells),
replaces one definition with a variant, then runs one grade cell, hidden tests included, in the same
process. Fast (no kernel, no nbgrader); the sample submissions check the same through the real pipeline.
"""

from __future__ import annotations

import ast
import textwrap

import nbformat
import pytest

from autograder import course


def _cells(assignment: str) -> dict[str, str]:
    nb = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id", c.get("id")): c.source for c in nb.cells if c.cell_type == "code"}


CHEAP_GIVEN = {"fixed-inputs"}  # given cells of small fixed tensors that the tests below use


def _only_definitions(source: str) -> bool:
    """A given cell that only defines functions and classes (imports allowed): cheap and safe to run."""
    body = ast.parse(source).body
    return bool(body) and all(isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))
                              or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) for node in body)


def run_grade_cell(assignment: str, grade_id: str, variant: str = "") -> None:
    """Exec setup, the given cells that only define things, solution cells and ``variant`` (redefinitions),
    then the grade cell; raises if a test fails."""
    cells = _cells(assignment)
    namespace: dict = {"__name__": "__main__"}
    nb = nbformat.read(course.SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("grade_id") == "setup" or (meta.get("solution") and not meta.get("grade"))
                                         or (not meta.get("grade") and (_only_definitions(cell.source)
                                                                        or meta.get("grade_id") in CHEAP_GIVEN))):
            exec(compile(cell.source, f"<{meta.get('grade_id')}>", "exec"), namespace)
    if variant:
        exec(compile(textwrap.dedent(variant), "<variant>", "exec"), namespace)
    _exec_like_a_kernel(cells[grade_id], grade_id, namespace)


def _exec_like_a_kernel(source: str, grade_id: str, namespace: dict) -> None:
    """Run a grade cell as the kernel does, down to its displayed value: a cell whose last expression shows a number
    earns that number as partial credit in nbgrader (``determine_grade``), so a check that returns 0.0 as the last
    line scores 0 in the real grader; here it fails as it would there."""
    import ast

    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, f"<{grade_id}>", "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), f"<{grade_id}>", "eval"), namespace)
        if value is not None:
            try:
                shown = float(repr(value))
            except ValueError:
                return
            raise AssertionError(f"grade cell {grade_id} displays {shown} as its last value: nbgrader would take "
                                 "it as the score (assign the last check's result to _)")


def expect_fail(assignment: str, grade_id: str, variant: str) -> None:
    """The grade cell must fail with a test's message (an AssertionError), not crash on the variant."""
    with pytest.raises(AssertionError):
        run_grade_cell(assignment, grade_id, variant)


def fill(template: str, defaults: dict[str, str], **change: str) -> str:
    """``template`` with each ``{key}`` replaced by ``change[key]``, else ``defaults[key]``: one correct answer, and
    mutants that differ from it in exactly the named places."""
    for key, value in {**defaults, **change}.items():
        template = template.replace("{" + key + "}", value)
    return template


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
    return fill(GP, GOOD, **change)


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
    return fill(POWER, {"iters": "n_iters", "normalise_v": "v = v / v.norm()", "result": "u @ W @ v, u"}, **change)


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


DCGAN_512 = """
class Up(nn.Module):
    def __init__(self, c_in, c_out, k, s, p, last=False):
        super().__init__()
        self.conv, self.last = nn.ConvTranspose2d(c_in, c_out, k, s, p), last
        self.bn = None if last else nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = self.conv(x)
        return {g_last} if self.last else {g_block}


class Down(nn.Module):
    def __init__(self, c_in, c_out, k, s, p, bn):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(c_in, c_out, k, s, p), (nn.BatchNorm2d(c_out) if bn else None)

    def forward(self, x):
        x = self.conv(x)
        return {d_block}


class Critic512(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(Down(3, 16, 4, 2, 1, False), Down(16, 32, 4, 2, 1, True), Down(32, 64, 4, 2, 1, True),
                                  Down(64, 128, 4, 2, 1, True))
        self.head = nn.Conv2d(128, 1, {d_head})

    def forward(self, x):
        return {d_out}


def dcgan_512(z_dim=100):
    G = nn.Sequential(Up(z_dim, 256, {g_first}), Up(256, 128, 4, 2, 1), Up(128, 64, 4, 2, 1), Up(64, 32, 4, 2, 1),
                      Up(32, 3, 4, 2, 1, last=True))
    return G, Critic512()
"""
# Another correct design: a first layer with kernel 32 (1 -> 32), four doublings to 512; D halves four times
# (512 -> 32) and ends with one 32 x 32 kernel; functional activations; conv, LeakyReLU, then batch norm.
DCGAN_512_GOOD = {"g_last": "torch.tanh(x)", "g_block": "F.relu(self.bn(x), inplace=True)",
                  "d_block": "self.bn(F.leaky_relu(x, 0.2)) if self.bn is not None else F.leaky_relu(x, 0.2)",
                  "d_head": "32, 1, 0", "d_out": "self.head(self.body(x)).view(-1, 1)", "g_first": "32, 1, 0"}


def _dcgan_512(**change) -> str:
    return fill(DCGAN_512, DCGAN_512_GOOD, **change)


def test_dcgan_512_accepts_another_design_written_another_way():
    run_grade_cell(SN, "test_dcgan_512", _dcgan_512())


def test_dcgan_512_accepts_the_solution_layers_in_a_module_list_with_flatten():
    run_grade_cell(SN, "test_dcgan_512", """
        def dcgan_512(z_dim=100):
            spec = [(z_dim, 128, 4, 1, 0), (128, 64, 4, 2, 1), (64, 32, 8, 4, 2), (32, 16, 8, 4, 2), (16, 3, 8, 4, 2)]
            g = []
            for i, (a, b, k, s, p) in enumerate(spec):
                g += [nn.ConvTranspose2d(a, b, k, s, p)] + ([nn.BatchNorm2d(b), nn.ReLU(inplace=True)] if i < 4 else [nn.Tanh()])
            d = [nn.Conv2d(3, 16, 8, 4, 2), nn.LeakyReLU(0.2, inplace=True)]
            for a, b, k, s, p in [(16, 32, 8, 4, 2), (32, 64, 8, 4, 2), (64, 128, 4, 2, 1)]:
                d += [nn.Conv2d(a, b, k, s, p), nn.BatchNorm2d(b), nn.LeakyReLU(0.2, inplace=True)]
            d += [nn.Conv2d(128, 1, 4, 1, 0), nn.Flatten()]
            return nn.Sequential(*g), nn.Sequential(*d)
    """)


@pytest.mark.parametrize("name, change", [
    ("a sigmoid at the end of D", {"d_out": "torch.sigmoid(self.head(self.body(x))).view(-1, 1)"}),
    ("D returns (N,) instead of (N, 1)", {"d_out": "self.head(self.body(x)).flatten()"}),
    ("G ends in a sigmoid instead of tanh", {"g_last": "torch.sigmoid(x)"}),
    ("G's last layer also has batch norm", {"g_last": "torch.tanh(nn.functional.batch_norm(x, None, None, training=True))"}),
    ("G without ReLU (a linear generator up to tanh)", {"g_block": "self.bn(x)"}),
    ("G without batch norm", {"g_block": "F.relu(x)"}),
    ("D with ReLU instead of LeakyReLU(0.2)",
     {"d_block": "self.bn(F.relu(x)) if self.bn is not None else F.relu(x)"}),
    ("D with the default LeakyReLU slope 0.01",
     {"d_block": "self.bn(F.leaky_relu(x)) if self.bn is not None else F.leaky_relu(x)"}),
    ("D without batch norm", {"d_block": "F.leaky_relu(x, 0.2)"}),
    ("D's first layer also has batch norm",
     {"d_block": "F.leaky_relu(self.bn(x) if self.bn is not None else F.batch_norm(x, None, None, training=True), 0.2)"}),
    ("D's last layer followed by a LeakyReLU", {"d_out": "F.leaky_relu(self.head(self.body(x)), 0.2).view(-1, 1)"}),
    ("G reaches 256, not 512 (first layer 1 -> 16)", {"g_first": "16, 1, 0"}),
    ("D pools a 2 x 2 map instead of covering it", {"d_head": "4, 2, 1", "d_out": "self.head(self.body(x)).mean((2, 3))"}),
    ("G with layer norm instead of batch norm", {"g_block": "F.relu(F.group_norm(x, 1))"}),
])
def test_dcgan_512_rejects_subtle_mistakes(name, change):
    expect_fail(SN, "test_dcgan_512", _dcgan_512(**change))


def test_dcgan_512_with_four_layers_and_an_upsample_fails():
    expect_fail(SN, "test_dcgan_512", """
        def dcgan_512(z_dim=100):
            G = nn.Sequential(nn.ConvTranspose2d(z_dim, 64, 4, 1, 0), nn.BatchNorm2d(64), nn.ReLU(),
                              nn.ConvTranspose2d(64, 32, 8, 4, 2), nn.BatchNorm2d(32), nn.ReLU(),
                              nn.ConvTranspose2d(32, 16, 8, 4, 2), nn.BatchNorm2d(16), nn.ReLU(),
                              nn.ConvTranspose2d(16, 3, 8, 4, 2), nn.Upsample(scale_factor=2), nn.Tanh())
            D = nn.Sequential(nn.Conv2d(3, 16, 8, 4, 2), nn.LeakyReLU(0.2), nn.Conv2d(16, 32, 8, 4, 2), nn.BatchNorm2d(32),
                              nn.LeakyReLU(0.2), nn.Conv2d(32, 64, 8, 4, 2), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
                              nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2), nn.Conv2d(128, 1, 4, 1, 0),
                              nn.Flatten())
            return G, D
    """)


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


# ------------------------------------------------------------------ output activations (02-06: issue 19, item 3)
# Each network is written out in full, once correctly in another way and once with exactly one requirement of
# the notebook's text broken. The grade cells see the output activation through
# course_utils.checks.output_layer_shifted, whatever way it is written.
GMM = "03_gmm_gan"
GMM_NETS = """
class Generator(nn.Module):
    def __init__(self, z_dim=2, hidden=128):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(z_dim, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 2)
    def forward(self, z):
        return {g_out}

class Discriminator(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(2, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 1)
    def forward(self, x):
        h = F.leaky_relu(self.l2(F.leaky_relu(self.l1((x - 7.5) / 2.5), 0.2)), 0.2)
        return {d_out}
"""
G_HIDDEN = "self.l3(torch.relu(self.l2(torch.relu(self.l1(z)))))"


def _gmm(g_out=f"2.5 * {G_HIDDEN} + 7.5", d_out="self.l3(h).squeeze(-1)") -> str:
    return fill(GMM_NETS, {"g_out": g_out, "d_out": d_out})


def test_gmm_networks_written_another_way_pass():
    run_grade_cell(GMM, "test_networks_shapes", _gmm())
    run_grade_cell(GMM, "test_networks_train_and_return_logits", _gmm())


@pytest.mark.parametrize("name, variant", [
    ("generator squashed by a scaled tanh", _gmm(g_out=f"7.5 + 5 * torch.tanh({G_HIDDEN})")),
    ("discriminator with a ReLU after its output", _gmm(d_out="torch.relu(self.l3(h))")),
    ("discriminator with a leaky ReLU after its output", _gmm(d_out="F.leaky_relu(self.l3(h), 0.2)")),
])
def test_gmm_networks_with_an_output_activation_fail(name, variant):
    expect_fail(GMM, "test_networks_train_and_return_logits", variant)


STEP = """
def train_step(G, D, opt_G, opt_D, real, z_dim):
    n = real.shape[0]
    z = {z_d}
    fake = G(z)
    loss_d = d_loss(D(real), D(fake.detach()))
    opt_D.zero_grad(); loss_d.backward(); opt_D.step()
    loss_g = g_loss(D({g_input}))
    opt_G.zero_grad(); loss_g.backward(); opt_G.step()
    return {"d_loss": loss_d.item(), "g_loss": loss_g.item()}
"""


def test_train_step_with_torch_normal_noise_passes():
    run_grade_cell(GMM, "test_train_step_updates_both", STEP.replace("{z_d}", "torch.normal(0.0, 1.0, size=(n, z_dim))")
                   .replace("{g_input}", "G(torch.normal(0.0, 1.0, size=(n, z_dim)))"))


@pytest.mark.parametrize("name, g_input", [
    ("the G step reuses the D step's fakes", "fake"),
    ("the G step reuses the D step's noise", "G(z)"),
])
def test_train_step_without_fresh_noise_fails(name, g_input):
    expect_fail(GMM, "test_train_step_updates_both", STEP.replace("{z_d}", "torch.randn(n, z_dim)").replace("{g_input}", g_input))


LOSSES = "04_fmnist_gan_losses"
MLP_NETS = """
class MLPGenerator(nn.Module):
    def __init__(self, z_dim, out_dim, hidden=(128, 256, 512)):
        super().__init__()
        sizes = (z_dim, *hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.out = nn.Linear(hidden[-1], out_dim)
    def forward(self, z):
        for layer in self.hidden:
            z = torch.relu(layer(z))
        return {g_out}

class MLPDiscriminator(nn.Module):
    def __init__(self, in_dim, hidden=(256, 128, 64)):
        super().__init__()
        sizes = (in_dim, *hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.out = nn.Linear(hidden[-1], 1)
    def forward(self, x):
        x = x.flatten(1)
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return {d_out}
"""


def _mlp(g_out="2 * torch.sigmoid(2 * self.out(z)) - 1", d_out="self.out(x)") -> str:
    return fill(MLP_NETS, {"g_out": g_out, "d_out": d_out})


def test_mlp_networks_written_another_way_pass():
    """2 sigmoid(2x) - 1 is tanh(x): a correct answer written another way."""
    for grade_id in ("test_networks_shapes_and_ranges", "test_networks_three_hidden_layers"):
        run_grade_cell(LOSSES, grade_id, _mlp())


@pytest.mark.parametrize("name, variant", [
    ("sigmoid generator (images never below 0)", _mlp(g_out="torch.sigmoid(self.out(z))")),
    ("discriminator with a ReLU after its output unit", _mlp(d_out="torch.relu(self.out(x))")),
    ("discriminator with a tanh after its output unit", _mlp(d_out="torch.tanh(self.out(x))")),
])
def test_mlp_networks_with_the_wrong_output_activation_fail(name, variant):
    expect_fail(LOSSES, "test_networks_shapes_and_ranges", variant)


COND = "06_conditional_gan"
COND_NETS = """
class ConditionalGenerator(nn.Module):
    def __init__(self, z_dim, num_classes):
        super().__init__()
        self.fc = nn.Linear(z_dim + num_classes, 256)
        self.out = nn.Linear(256, 28 * 28)
    def forward(self, z, y):
        return {g_out}.view(-1, 1, 28, 28)

class ConditionalDiscriminator(nn.Module):
    def __init__(self, num_classes, hidden=(512, 256)):
        super().__init__()
        self.fc = nn.Linear(28 * 28 + num_classes, hidden[0])
        self.out = nn.Linear(hidden[0], 1)
    def forward(self, x, y):
        h = F.leaky_relu(self.fc(torch.cat([x.flatten(1), y], 1)), 0.2)
        return {d_out}
"""


def _cond(g_out="torch.tanh(self.out(torch.relu(self.fc(torch.cat([z, y], 1)))))", d_out="self.out(h)") -> str:
    return fill(COND_NETS, {"g_out": g_out, "d_out": d_out})


def test_conditional_networks_written_another_way_pass():
    run_grade_cell(COND, "test_conditional_generator", _cond())
    run_grade_cell(COND, "test_conditional_discriminator", _cond())


def test_conditional_generator_with_a_sigmoid_fails():
    expect_fail(COND, "test_conditional_generator", _cond(g_out="torch.sigmoid(self.out(torch.relu(self.fc(torch.cat([z, y], 1)))))"))


def test_conditional_discriminator_with_a_relu_after_its_output_fails():
    expect_fail(COND, "test_conditional_discriminator", _cond(d_out="torch.relu(self.out(h))"))


# ------------------------------------------------------------------ modes, gradients, padding, fresh noise (02, 05)
MODE = "05_mode_collapse"
HIST = """
def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    device = next(G.parameters()).device
    {before}
    predicted = []
    {context}
        for start in range(0, n, 700):
            predicted.append(classifier(G(torch.randn(min(700, n - start), z_dim, device=device))).argmax(1))
    {after}
    return torch.bincount(torch.cat(predicted).cpu(), minlength=10)[:10].numpy()
"""
GOOD_HIST = {"before": "mode = G.training; G.eval()", "context": "with torch.inference_mode():", "after": "G.train(mode)"}


def _hist(**change) -> str:
    return fill(HIST, GOOD_HIST, **change)


def test_label_histogram_with_inference_mode_and_bincount_passes():
    run_grade_cell(MODE, "test_label_histogram", _hist())


@pytest.mark.parametrize("name, change", [
    ("samples in training mode", {"before": "mode = G.training"}),
    ("always back to training mode", {"after": "G.train()"}),
    ("left in evaluation mode", {"after": "pass"}),
    ("samples with gradients", {"context": "if True:"}),
])
def test_label_histogram_with_the_wrong_mode_or_gradients_fails(name, change):
    expect_fail(MODE, "test_label_histogram", _hist(**change))


def test_unrolled_step_that_reuses_its_noise_fails():
    expect_fail(MODE, "test_unrolled_g_step_leaves_D_alone", """
        def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
            D_copy = copy.deepcopy(D)
            opt = torch.optim.SGD(D_copy.parameters(), lr=d_lr)
            z = torch.randn(len(real), z_dim)
            for _ in range(k):
                loss = bce_d_loss(D_copy(real), D_copy(G(z).detach()))
                opt.zero_grad(); loss.backward(); opt.step()
            loss_g = bce_g_loss(D_copy(G(z)))
            opt_G.zero_grad(); loss_g.backward(); opt_G.step()
            return loss_g.item()
    """)


SENT = "02_sentiment_gru_mlp"
GRU = """
class GRUSentiment(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim{padding})
        self.gru = nn.GRU(embed_dim, hidden_dim, batch_first=True)
        self.out = nn.Linear(hidden_dim, 1)
    def forward(self, x):
        _, h = self.gru(self.embed(x))
        return torch.sigmoid(self.out(h[-1])).view(-1)
"""
MLP = """
class MLPSentiment(nn.Module):
    def __init__(self, vocab_size, embed_dim, seq_len, hidden_dim):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim{padding})
        self.fc1, self.fc2 = nn.Linear(seq_len * embed_dim, hidden_dim), nn.Linear(hidden_dim, 1)
    def forward(self, x):
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(self.embed(x).flatten(1))))).squeeze(1)
"""


@pytest.mark.data
def test_sentiment_models_written_another_way_pass(data_root):
    run_grade_cell(SENT, "test_gru_sentiment", GRU.replace("{padding}", ", 0"))
    run_grade_cell(SENT, "test_mlp_sentiment", MLP.replace("{padding}", ", padding_idx=0"))


@pytest.mark.data
@pytest.mark.parametrize("grade_id, variant", [("test_gru_sentiment", GRU), ("test_mlp_sentiment", MLP)])
def test_sentiment_models_without_padding_idx_fail(data_root, grade_id, variant):
    expect_fail(SENT, grade_id, variant.replace("{padding}", ""))


ACCURACY = """
def accuracy(model, loader):
    model.eval()
    right = total = 0
    {context}
        for x, y in loader:
            right += int(((model(x) > 0.5).long() == y).sum())
            total += len(y)
    return right / total
"""


def test_accuracy_under_inference_mode_passes():
    run_grade_cell(SENT, "test_accuracy", ACCURACY.replace("{context}", "with torch.inference_mode():"))


def test_accuracy_with_gradients_fails():
    expect_fail(SENT, "test_accuracy", ACCURACY.replace("{context}", "if True:"))


# ----------------------------------------------------------------------------------------------- 01_binary_rnn
def test_encode_addition_with_float_arrays_fails():
    expect_fail("01_binary_rnn", "test_encode_addition_example", """
        def encode_addition(a, b):
            T = max(a.bit_length(), b.bit_length()) + 1
            bits = lambda n: [float((n >> t) & 1) for t in range(T)]
            return np.array([bits(a), bits(b)]).T, np.array(bits(a + b))
    """)


def test_encode_addition_from_binary_strings_passes():
    run_grade_cell("01_binary_rnn", "test_encode_addition_example", """
        def encode_addition(a, b):
            T = max(len(bin(a)), len(bin(b))) - 1
            col = lambda n: [int(c) for c in reversed(format(n, f"0{T}b"))][:T]
            return np.stack([col(a), col(b)], axis=1), np.array(col(a + b), dtype=np.int8)
    """)


# ------------------------------------------------------------------ 04: every loss returns a scalar tensor
@pytest.mark.parametrize("grade_id, variant", [
    ("test_mse_g_loss", "def mse_g_loss(real, fake):\n    return ((real - fake) ** 2).mean().item()"),
    ("test_lsgan_g_loss", "def lsgan_g_loss(fake):\n    return float(((fake - 1) ** 2).mean())"),
    ("test_lsgan_d_loss", "def lsgan_d_loss(real, fake):\n    return (((real - 1) ** 2).mean() + (fake ** 2).mean()).reshape(1)"),
    ("test_wgan_losses", "def wgan_g_loss(fake):\n    return -fake.mean().item()"),
    ("test_bce_losses", "def bce_g_loss(fake):\n    return F.softplus(-fake).mean().numpy()"),
])
def test_losses_that_return_no_scalar_tensor_fail(grade_id, variant):
    expect_fail(LOSSES, grade_id, variant)


def test_losses_written_with_torch_functions_pass():
    run_grade_cell(LOSSES, "test_mse_g_loss", "def mse_g_loss(real, fake):\n    return F.mse_loss(fake, real)")
    run_grade_cell(LOSSES, "test_lsgan_g_loss", "def lsgan_g_loss(fake):\n    return F.mse_loss(fake, torch.ones_like(fake))")


# ------------------------------------------------------------------ 05: true unrolling and noise augmentation (spec)
SURROGATE = """
def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    names = [name for name, _ in D.named_parameters()]
    weights = {start}
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device)){detach}
        r = torch.func.functional_call(D, dict(zip(names, weights)), (real,))
        f = torch.func.functional_call(D, dict(zip(names, weights)), (fake,))
        loss = (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))
        grads = torch.autograd.grad(loss, weights, create_graph={create_graph})
        weights = [w - d_lr * g for w, g in zip(weights, grads)]
    s = torch.func.functional_call(D, dict(zip(names, weights)), (G(torch.randn(len(real), z_dim, device=real.device)),))
    loss_g = F.binary_cross_entropy_with_logits(s, torch.ones_like(s))
    opt_G.zero_grad()
    loss_g.backward()
    opt_G.step()
    return loss_g.item()
"""
GOOD_SURROGATE = {"start": "[p.detach().clone().requires_grad_() for _, p in D.named_parameters()]", "detach": "",
                  "create_graph": "True"}


def _surrogate(**change) -> str:
    return fill(SURROGATE, GOOD_SURROGATE, **change)


def test_unrolled_surrogate_with_weight_lists_passes():
    for grade_id in ("test_unrolled_surrogate_exact", "test_unrolled_surrogate_leaves_D_alone"):
        run_grade_cell(MODE, grade_id, _surrogate())


@pytest.mark.parametrize("name, grade_id, change", [
    ("fakes detached (the seed's scheme: no gradient through the updates)", "test_unrolled_surrogate_exact",
     {"detach": ".detach()"}),
    ("updates without create_graph", "test_unrolled_surrogate_exact", {"create_graph": "False"}),
    ("unrolls D's own parameters (they receive gradients)", "test_unrolled_surrogate_leaves_D_alone",
     {"start": "[p for _, p in D.named_parameters()]"}),
])
def test_unrolled_surrogate_that_does_not_unroll_properly_fails(name, grade_id, change):
    expect_fail(MODE, grade_id, _surrogate(**change))


def test_the_seeds_unrolled_step_fails_the_true_unrolling_test():
    """The copy-and-train scheme of Part 3, submitted as true unrolling, loses the exact test's points."""
    expect_fail(MODE, "test_unrolled_surrogate_exact", "unrolled_surrogate_g_step = unrolled_g_step")


NOISE = """
def augment_with_noise(images, kind, amount, generator=None):
    out = images.clone()
    if kind == "gaussian":
        out = out + {gauss_scale} * torch.randn(out.shape, generator=generator, device={device})
    elif kind == "salt_and_pepper":
        u = torch.rand(out.shape, generator=generator, device={device})
        out[u < {salt}] = -1.0
        out[(u >= {salt}) & (u < 2 * {salt})] = 1.0
    elif kind == "poisson":
        out = {poisson}
    else:
        raise ValueError(kind)
    return {finish}
"""
GOOD_NOISE = {"gauss_scale": "amount", "salt": "amount / 2", "device": "out.device",
              "poisson": "2 * torch.poisson((out + 1) / 2 * amount, generator=generator) / amount - 1",
              "finish": "torch.clamp(out, -1.0, 1.0)"}


def _noise(**change) -> str:
    return fill(NOISE, GOOD_NOISE, **change)


def test_augment_with_noise_written_with_masks_passes():
    for grade_id in ("test_augment_with_noise_contract", "test_augment_with_noise_distributions"):
        run_grade_cell(MODE, grade_id, _noise())


@pytest.mark.parametrize("name, grade_id, change", [
    ("Gaussian variance instead of std", "test_augment_with_noise_distributions", {"gauss_scale": "amount ** 2"}),
    ("salt and pepper with probability amount each", "test_augment_with_noise_distributions", {"salt": "amount"}),
    ("Poisson counts not divided by amount", "test_augment_with_noise_distributions",
     {"poisson": "(2 * torch.poisson((out + 1) / 2 * amount, generator=generator) - 1).clamp(-1, 1) * 0.5"}),
    ("not clamped", "test_augment_with_noise_contract", {"finish": "out"}),
    ("the global random state instead of the generator", "test_augment_with_noise_contract",
     {"gauss_scale": "amount", "poisson": "2 * torch.poisson((out + 1) / 2 * amount) / amount - 1"}),
    # 05's "noise on D's inputs" run calls it on D's batches: on a GPU, noise drawn on the CPU cannot be added to them
    ("noise drawn on the CPU whatever the images' device", "test_augment_with_noise_contract", {"device": "'cpu'"}),
])
def test_augment_with_noise_mistakes_fail(name, grade_id, change):
    expect_fail(MODE, grade_id, _noise(**change))


def test_augment_with_noise_that_modifies_its_input_fails():
    expect_fail(MODE, "test_augment_with_noise_contract", _noise().replace("out = images.clone()", "out = images")
                .replace("out = out + ", "out += "))


# ------------------------------------------------------------------ 03: logits far from 0, noisy labels (issue 39)
def test_logistic_losses_as_a_log_of_a_sigmoid_fail_at_logits_20_and_minus_90():
    """torch's BCE clamps its log at -100, so at logits of +-100 a log of a sigmoid happens to give the exact answer;
    at 20 and -90 it is wrong by tens and its gradient is 0."""
    expect_fail("03_gmm_gan", "test_losses_limits_and_gradients", """
        def d_loss(real_logits, fake_logits):
            return (F.binary_cross_entropy(torch.sigmoid(real_logits), torch.ones_like(real_logits))
                    + F.binary_cross_entropy(torch.sigmoid(fake_logits), torch.zeros_like(fake_logits)))


        def g_loss(fake_logits):
            return F.binary_cross_entropy(torch.sigmoid(fake_logits), torch.ones_like(fake_logits))
    """)


def test_noisy_d_loss_with_targets_drawn_in_float64_passes():
    run_grade_cell("03_gmm_gan", "test_noisy_d_loss", """
        def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
            t_real = 1 - label_noise * torch.rand(real_logits.shape, generator=generator, dtype=torch.float64)
            t_fake = label_noise * torch.rand(fake_logits.shape, generator=generator, dtype=torch.float64)
            return (F.binary_cross_entropy_with_logits(real_logits, t_real.to(real_logits))
                    + F.binary_cross_entropy_with_logits(fake_logits, t_fake.to(fake_logits)))
    """)


def test_noisy_d_loss_that_averages_real_and_fake_together_fails():
    """Twice the mean over both batches equals the sum of the two means only when the batches have the same size."""
    expect_fail("03_gmm_gan", "test_noisy_d_loss", """
        def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
            t_real = 1 - label_noise * torch.rand(real_logits.shape, generator=generator)
            t_fake = label_noise * torch.rand(fake_logits.shape, generator=generator)
            logits = torch.cat([real_logits.flatten(), fake_logits.flatten()])
            return 2 * F.binary_cross_entropy_with_logits(logits, torch.cat([t_real.flatten(), t_fake.flatten()]))
    """)


def test_wasserstein_losses_rebuilt_from_a_float_fail():
    """The right value with no gradient: training would silently do nothing."""
    expect_fail("04_fmnist_gan_losses", "test_wgan_losses", """
        def wgan_d_loss(real, fake):
            return torch.tensor(float(fake.mean() - real.mean()))


        def wgan_g_loss(fake):
            return torch.tensor(float(-fake.mean()))
    """)


def test_bce_generator_loss_as_a_log_of_a_sigmoid_fails_at_logit_minus_90():
    expect_fail("04_fmnist_gan_losses", "test_bce_losses", """
        def bce_g_loss(fake):
            return -torch.log(torch.sigmoid(fake).clamp_min(1e-44)).mean()
    """)


def test_one_hot_made_on_the_cpu_fails_and_one_that_reads_values_passes():
    """06's one_hot: a result on the CPU whatever the labels' device fails (the meta device shows it); an answer
    that loops over the labels' values cannot run on meta and keeps its points."""
    expect_fail("06_conditional_gan", "test_one_hot", """
        def one_hot(labels, num_classes=10):
            return torch.eye(num_classes)[labels]
    """)
    run_grade_cell("06_conditional_gan", "test_one_hot", """
        def one_hot(labels, num_classes=10):
            out = torch.zeros(len(labels), num_classes, device=labels.device)
            for i, c in enumerate(labels.tolist()):
                out[i, c] = 1.0
            return out
    """)


def test_decoder_ending_in_a_relu_fails():
    """07: a decoder that cannot output negative values cannot draw black once the VAE applies its tanh."""
    expect_fail("07_vae", "test_cnn_features", """
        class DecoderCNN(nn.Module):
            def __init__(self, in_channels, out_channels, hidden=32):
                super().__init__()
                self.net = nn.Sequential(
                    nn.ConvTranspose2d(in_channels, hidden, 4, stride=2, padding=1), nn.BatchNorm2d(hidden), nn.LeakyReLU(0.2),
                    nn.ConvTranspose2d(hidden, out_channels, 4, stride=2, padding=1), nn.ReLU())

            def forward(self, h):
                return self.net(h)
    """)


def test_vae_forward_that_decodes_the_mean_fails():
    expect_fail("07_vae", "test_vae_decode_sample_forward", """
        _encode = VAE.encode
        def _forward(self, x):
            z, mu, log_sigma2 = self.encode(x)
            return self.decode(mu), mu, log_sigma2
        VAE.forward = _forward
    """)


def test_unrolled_step_without_zero_grad_fails():
    """05: a generator step that forgets opt_G.zero_grad() passes one call; two calls in a row pile the gradients up."""
    expect_fail("05_mode_collapse", "test_unrolled_g_step_exact", """
        def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
            D_copy = copy.deepcopy(D)
            opt_copy = torch.optim.SGD(D_copy.parameters(), lr=d_lr)
            n = real.shape[0]
            for _ in range(k):
                fake = G(torch.randn(n, z_dim)).detach()
                loss_d = bce_d_loss(D_copy(real), D_copy(fake))
                opt_copy.zero_grad()
                loss_d.backward()
                opt_copy.step()
            loss_g = bce_g_loss(D_copy(G(torch.randn(n, z_dim))))
            loss_g.backward()
            opt_G.step()
            return loss_g.item()
    """)


def test_networks_without_a_used_nonlinearity_fail():
    """03 and 04: a generator whose activations are discarded (one affine map of the noise) passes layer counts and
    output shapes; the hidden tests measure how far the output layer's input is from an affine function."""
    expect_fail(GMM, "test_networks_train_and_return_logits", GMM_NETS.format(
        g_out="self.l3(self.l2(self.l1(z)))", d_out="self.l3(h)"))
    expect_fail("04_fmnist_gan_losses", "test_networks_three_hidden_layers", """
        class MLPGenerator(nn.Module):
            def __init__(self, z_dim, out_dim, hidden=256):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden),
                                         nn.Linear(hidden, out_dim))

            def forward(self, z):
                h = self.net[0](z)
                F.relu(h)                      # the result is discarded
                return torch.tanh(self.net[3](self.net[2](self.net[1](h))))
    """)
