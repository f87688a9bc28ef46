"""Held-out answers for notebook 03, written on 2026-12-07 from the notebook's text alone, before any change to its
grade cells (issue 50). See benchmarks/heldout/01_binary_rnn.py."""

ANSWERS = [
    # ---------------------------------------------------------------- correct, written another way
    ("correct", "sample-with-multinomial-and-normal", "Part 1", """
def sample_mixture(n, centers=CENTERS, std=1.0, generator=None):
    c = torch.tensor(centers, dtype=torch.float32)
    idx = torch.multinomial(torch.ones(len(c)), n, replacement=True, generator=generator)
    return torch.normal(c[idx], std, generator=generator)
"""),
    ("correct", "networks-functional-modulelist", "Part 2", """
class Generator(nn.Module):
    def __init__(self, z_dim=2, hidden=64, offset=7.5):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(z_dim, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, 2)])
        self.offset = offset
    def forward(self, z):
        for layer in self.layers[:-1]:
            z = F.leaky_relu(layer(z), 0.1)
        return self.layers[-1](z) + self.offset


class Discriminator(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.a = nn.utils.parametrizations.spectral_norm(nn.Linear(2, hidden))
        self.b = nn.utils.parametrizations.spectral_norm(nn.Linear(hidden, hidden))
        self.c = nn.Linear(hidden, 1)
    def forward(self, x):
        h = torch.relu(self.a((x - 7.5) / 3))
        return self.c(torch.relu(self.b(h)))
"""),
    ("correct", "losses-with-bce-targets", "Part 3", """
def d_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))

def g_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()
"""),
    ("correct", "noisy-loss-by-formula", "Part 3b", """
def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
    t_real = 1.0 - label_noise * torch.rand(real_logits.shape, generator=generator, device=real_logits.device)
    t_fake = label_noise * torch.rand(fake_logits.shape, generator=generator, device=fake_logits.device)
    bce = lambda s, t: (F.softplus(s) - t * s).mean()
    return bce(real_logits, t_real) + bce(fake_logits, t_fake)
"""),
    ("correct", "train-step-no-grad-fakes", "Part 4", """
def train_step(G, D, opt_G, opt_D, real, z_dim):
    with torch.no_grad():
        fakes = G(torch.randn(len(real), z_dim))
    opt_D.zero_grad()
    ld = d_loss(D(real), D(fakes))
    ld.backward()
    opt_D.step()
    opt_G.zero_grad()
    lg = g_loss(D(G(torch.randn(len(real), z_dim))))
    lg.backward()
    opt_G.step()
    return dict(d_loss=float(ld), g_loss=float(lg))
"""),
    # ---------------------------------------------------------------- wrong, each breaks one sentence
    ("wrong", "one-centre-for-the-whole-batch", "Each sample picks one of the centres with equal probability", """
def sample_mixture(n, centers=CENTERS, std=1.0, generator=None):
    c = torch.tensor(centers, dtype=torch.float32)
    k = torch.randint(len(c), (1,), generator=generator)
    return c[k].expand(n, 2) + std * torch.randn(n, 2, generator=generator)
"""),
    ("wrong", "variance-for-std", "adds Gaussian noise with standard deviation std", """
def sample_mixture(n, centers=CENTERS, std=1.0, generator=None):
    c = torch.tensor(centers, dtype=torch.float32)
    k = torch.randint(len(c), (n,), generator=generator)
    return c[k] + std ** 2 * torch.randn(n, 2, generator=generator)
"""),
    ("wrong", "generator-ends-in-scaled-tanh", "no squashing output activation", """
class Generator(nn.Module):
    def __init__(self, z_dim=2, hidden=128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2), nn.Tanh())
    def forward(self, z):
        return 7.5 + 6.0 * self.net(z)
"""),
    ("wrong", "saturating-generator-loss", "the non-saturating generator loss", """
def g_loss(fake_logits):
    return -F.softplus(fake_logits).mean()
"""),
    ("wrong", "losses-summed-not-averaged", "mean softplus(-s_real) + mean softplus(s_fake)", """
def d_loss(real_logits, fake_logits):
    return F.softplus(-real_logits).sum() + F.softplus(fake_logits).sum()
"""),
    ("wrong", "one-noise-draw-for-the-batch", "each real sample's target is drawn ... (one draw per sample)", """
def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
    u = torch.rand((), generator=generator)
    return (F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, 1 - label_noise * float(u)))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.full_like(fake_logits, label_noise * float(u))))
"""),
    ("wrong", "losses-returned-as-tensors", "return {'d_loss': ..., 'g_loss': ...} (Python floats)", """
def train_step(G, D, opt_G, opt_D, real, z_dim):
    fakes = G(torch.randn(len(real), z_dim)).detach()
    opt_D.zero_grad(); ld = d_loss(D(real), D(fakes)); ld.backward(); opt_D.step()
    opt_G.zero_grad(); lg = g_loss(D(G(torch.randn(len(real), z_dim)))); lg.backward(); opt_G.step()
    return {"d_loss": ld.detach(), "g_loss": lg.detach()}
"""),
    ("wrong", "generator-step-first", "one discriminator step, then one generator step", """
def train_step(G, D, opt_G, opt_D, real, z_dim):
    opt_G.zero_grad(); lg = g_loss(D(G(torch.randn(len(real), z_dim)))); lg.backward(); opt_G.step()
    fakes = G(torch.randn(len(real), z_dim)).detach()
    opt_D.zero_grad(); ld = d_loss(D(real), D(fakes)); ld.backward(); opt_D.step()
    return {"d_loss": ld.item(), "g_loss": lg.item()}
"""),
    ("wrong", "generator-ignores-z_dim", "Generator(z_dim): an MLP from noise (N, z_dim)", """
class Generator(nn.Module):
    def __init__(self, z_dim=2, hidden=128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))
    def forward(self, z):
        return self.net(z[:, :2]) + 7.5
"""),
]
