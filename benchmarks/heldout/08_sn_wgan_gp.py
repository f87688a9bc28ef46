"""Held-out answers for notebook 08, written on 2026-12-07 from the notebook's text alone, before any change to its
grade cells (issue 50). See benchmarks/heldout/01_binary_rnn.py."""

_GP = """
def gradient_penalty(D, real, fake, lambda_gp=10.0):
    b = real.shape[0]
    eps = {eps}
    x_hat = ({mix}).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph={graph})
    norms = {norms}
    return {ret}
"""


def _gp(eps="torch.rand(b, *[1] * (real.dim() - 1), device=real.device, dtype=real.dtype)",
        mix="eps * real + (1 - eps) * fake", graph="True", norms="g.reshape(b, -1).norm(dim=1)",
        ret="lambda_gp * ((norms - 1) ** 2).mean()"):
    return _GP.format(eps=eps, mix=mix, graph=graph, norms=norms, ret=ret)


_DC = """
def dcgan_512(z_dim=100):
    g_plan = {g_plan}
    widths = [z_dim, 256, 128, 64, 32, 3]
    g = []
    for i, (k, s, p) in enumerate(g_plan):
        g.append(nn.ConvTranspose2d(widths[i], widths[i + 1], k, s, p))
        g += [nn.BatchNorm2d(widths[i + 1]), nn.ReLU()] if i < 4 else {g_last}
    d_widths = [3, 32, 64, 128, 256, 1]
    d = []
    for i, (k, s, p) in enumerate(reversed(g_plan)):
        conv = nn.Conv2d(d_widths[i], d_widths[i + 1], k, s, p)
        d.append({wrap}(conv))
        if {bn_d}:
            d.append(nn.BatchNorm2d(d_widths[i + 1]))
        if i < 4:
            d.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*g), nn.Sequential(*d, nn.Flatten(){d_end})
"""


def _dc(g_plan="[(4, 1, 0), (4, 4, 0), (4, 4, 0), (4, 2, 1), (8, 4, 2)]", g_last="[nn.Tanh()]", wrap="",
        bn_d="0 < i < 4", d_end=""):
    return _DC.format(g_plan=g_plan, g_last=g_last, wrap=wrap, bn_d=bn_d, d_end=d_end)


ANSWERS = [
    # ---------------------------------------------------------------- correct, written another way
    ("correct", "power-iteration-normalize-and-mv", "Part 1", """
def power_iteration(W, u, n_iters=1):
    for _ in range(n_iters):
        v = F.normalize(torch.mv(W.t(), u), dim=0)
        u = F.normalize(torch.mv(W, v), dim=0)
    return torch.dot(u, torch.mv(W, v)), u
"""),
    ("correct", "power-iteration-torchs-sigma", "Part 1 (sigma = ||W^T u||, which the text accepts)", """
def power_iteration(W, u, n_iters=1):
    for _ in range(n_iters):
        v = W.T @ u
        v = v / torch.linalg.vector_norm(v)
        u = W @ v
        u = u / torch.linalg.vector_norm(u)
    return torch.linalg.vector_norm(W.T @ u), u
"""),
    ("correct", "gradient-penalty-with-lerp", "Part 2 (torch.lerp, norms by linalg)", """
def gradient_penalty(D, real, fake, lambda_gp=10.0):
    eps = torch.rand((real.size(0),) + (1,) * (real.dim() - 1), device=real.device)
    x_hat = torch.lerp(fake.detach(), real.detach(), eps).requires_grad_()
    grads = torch.autograd.grad(outputs=D(x_hat), inputs=x_hat, grad_outputs=torch.ones_like(D(x_hat)),
                                create_graph=True, retain_graph=True)[0]
    norms = torch.linalg.vector_norm(grads.flatten(1), ord=2, dim=1)
    return lambda_gp * torch.mean((norms - 1.0) ** 2)
"""),
    ("correct", "dcgan-other-plan-spectral-norm-critic", "Part 3 (widths and (k, s, p) are yours; parametrized convs)",
     _dc(wrap="nn.utils.parametrizations.spectral_norm")),
    ("correct", "dcgan-view-instead-of-flatten", "Part 3", _dc(d_end="").replace(
        "return nn.Sequential(*g), nn.Sequential(*d, nn.Flatten())",
        "class _D(nn.Module):\n        def __init__(self):\n            super().__init__()\n"
        "            self.body = nn.Sequential(*d)\n        def forward(self, x):\n"
        "            return self.body(x).view(-1, 1)\n    return nn.Sequential(*g), _D()")),
    # ---------------------------------------------------------------- wrong, each breaks one sentence
    ("wrong", "power-iteration-returns-v", "the updated unit vector u (shape (out,))", """
def power_iteration(W, u, n_iters=1):
    for _ in range(n_iters):
        v = W.t() @ u; v = v / v.norm()
        u = W @ v; u = u / u.norm()
    return u @ W @ v, v
"""),
    ("wrong", "power-iteration-one-step-only", "after n_iters steps", """
def power_iteration(W, u, n_iters=1):
    v = W.t() @ u; v = v / v.norm()
    u = W @ v; u = u / u.norm()
    return u @ W @ v, u
"""),
    ("wrong", "power-iteration-v-not-normalised", "v <- W^T u / ||W^T u||", """
def power_iteration(W, u, n_iters=1):
    for _ in range(n_iters):
        v = W.t() @ u
        u = W @ v; u = u / u.norm()
    return u @ W @ v, u
"""),
    ("wrong", "eps-per-pixel", "draw one eps per sample (shared by all its pixels)", _gp(eps="torch.rand_like(real)")),
    ("wrong", "eps-normal", "uniform on [0, 1]", _gp(eps="torch.randn(b, *[1] * (real.dim() - 1))")),
    ("wrong", "no-create-graph", "it back-propagates into D's parameters (create_graph=True)", _gp(graph="False")),
    ("wrong", "norm-over-the-last-dimension", "take its norm over all non-batch dimensions of each sample",
     _gp(norms="g.norm(dim=-1).reshape(b, -1).mean(dim=1)")),
    ("wrong", "one-sided-penalty", "(||.|| - 1)^2", _gp(ret="lambda_gp * (torch.relu(norms - 1) ** 2).mean()")),
    ("wrong", "penalty-summed", "lambda times the batch mean", _gp(ret="lambda_gp * ((norms - 1) ** 2).sum()")),
    ("wrong", "g-batchnorm-after-the-last-layer", "BatchNorm2d and ReLU after each but the last",
     _dc(g_last="[nn.BatchNorm2d(widths[i + 1]), nn.Tanh()]")),
    ("wrong", "g-without-tanh", "and tanh at the end", _dc(g_last="[]")),
    ("wrong", "d-ends-in-sigmoid", "no sigmoid: D returns logits", _dc(d_end=", nn.Sigmoid()")),
    ("wrong", "d-batchnorm-after-the-first-layer", "nn.BatchNorm2d after each but the first and the last",
     _dc(bn_d="i < 4")),
]
