"""Notebook 03, sentence by sentence (issue 50); the layout is tests/grade_cell_sentences/01_binary_rnn.py's."""

_SAMPLE = '''
def sample_mixture(n, centers=CENTERS, std=1.0, generator=None):
    c = torch.as_tensor(centers, dtype=torch.float32)
    which = {which}
    out = c[which] + {noise}
    return out{post}
'''


def _sample(which="torch.randint(len(c), (n,), generator=generator)",
            noise="std * torch.randn(n, 2, generator=generator)", post=""):
    return _SAMPLE.format(which=which, noise=noise, post=post)


_G = '''
class Generator(nn.Module):
    def __init__(self, z_dim=2, hidden=128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear({zin}, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2))
    def forward(self, z):
        return {out}
'''
_D = '''
class Discriminator(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 1))
    def forward(self, x):
        return {out}
'''
_STEP = '''
def train_step(G, D, opt_G, opt_D, real, z_dim):
    n = {n}
    z1 = torch.randn(n, z_dim)
    fake = G(z1){detach}
    {zero_g_early}opt_D.zero_grad()
    loss_d = d_loss(D(real), D(fake))
    loss_d.backward()
    {g_forward_early}opt_D.step()
    z2 = {z2}
    {zero_g}{g_forward}
    loss_g.backward()
    opt_G.step()
    return {{"d_loss": {ret_d}, "g_loss": loss_g.item()}}
'''
_G_FORWARD = "loss_g = g_loss(D(G(z2)))"


def _step(n="real.shape[0]", detach=".detach()", zero_g_early="", z2="torch.randn(n, z_dim)",
          zero_g="opt_G.zero_grad()\n    ", g_early=False, ret_d="loss_d.item()"):
    return _STEP.format(n=n, detach=detach, zero_g_early=zero_g_early, z2=z2, zero_g=zero_g,
                        g_forward_early=(_G_FORWARD + "\n    ") if g_early else "",
                        g_forward="" if g_early else _G_FORWARD, ret_d=ret_d)


SENTENCES = [
    ("samples-transposed", "n samples, shape (n, 2)", "test_sample_mixture_shape_and_reproducibility",
     _sample(post=".T")),
    ("samples-float64", "n samples, shape (n, 2), float32", "test_sample_mixture_shape_and_reproducibility",
     _sample(post=".double()")),
    ("unequal-centre-weights", "Each sample picks one of the centres with equal probability",
     "test_sample_mixture_distribution",
     _sample(which="torch.multinomial(torch.tensor([2.0] + [1.0] * (len(c) - 1)), n, replacement=True, "
                   "generator=generator)")),
    ("variance-for-std", "adds Gaussian noise with standard deviation std in each coordinate",
     "test_sample_mixture_distribution", _sample(noise="std ** 2 * torch.randn(n, 2, generator=generator)")),
    ("uniform-noise", "adds Gaussian noise", "test_sample_mixture_distribution",
     _sample(noise="std * 3 ** 0.5 * (2 * torch.rand(n, 2, generator=generator) - 1)")),
    ("noise-from-the-global-generator", "When a torch.Generator is given, draw all randomness from it",
     "test_sample_mixture_shape_and_reproducibility", _sample(noise="std * torch.randn(n, 2)")),
    ("generator-ignores-noise-coordinates", "Generator(z_dim): an MLP from noise (N, z_dim) to points (N, 2)",
     "test_networks_shapes", _G.format(zin="min(z_dim, 2)", out="self.net(z[:, :2]) + 7.5")),
    ("generator-squashes-its-output", "no squashing output activation", "test_networks_train_and_return_logits",
     _G.format(zin="z_dim", out="7.5 + 6 * torch.tanh(self.net(z))")),
    ("discriminator-ends-in-sigmoid", "to logits (N, 1): no sigmoid at the end",
     "test_networks_train_and_return_logits", _D.format(out="torch.sigmoid(self.net((x - 7.5) / 2.5))")),
    ("d-loss-signs-swapped", "d_loss = mean softplus(-s_real) + mean softplus(s_fake)",
     "test_losses_reference_values",
     "def d_loss(real_logits, fake_logits):\n    return F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()\n"),
    ("d-loss-summed", "mean softplus(-s_real) + mean softplus(s_fake)", "test_losses_reference_values",
     "def d_loss(real_logits, fake_logits):\n    return F.softplus(-real_logits).sum() + F.softplus(fake_logits).sum()\n"),
    ("saturating-g-loss", "g_loss = mean softplus(-s_fake), the non-saturating generator loss",
     "test_losses_reference_values", "def g_loss(fake_logits):\n    return -F.softplus(fake_logits).mean()\n"),
    ("g-loss-a-python-float", "Both return scalar tensors", "test_losses_reference_values",
     "def g_loss(fake_logits):\n    return F.softplus(-fake_logits).mean().item()\n"),
    ("losses-as-log-of-sigmoid", "must stay finite for large logits (say +-100) ... not as log(sigmoid(...))",
     "test_losses_limits_and_gradients",
     "def d_loss(real_logits, fake_logits):\n    return -(torch.log(torch.sigmoid(real_logits)).mean()"
     " + torch.log(1 - torch.sigmoid(fake_logits)).mean())\n"),
    ("noisy-real-targets-from-the-fake-range", "each real sample's target is drawn uniformly from [1 - label_noise, 1]",
     "test_noisy_d_loss", '''
def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
    rt = label_noise * torch.rand(real_logits.shape, generator=generator)
    ft = label_noise * torch.rand(fake_logits.shape, generator=generator)
    return (F.binary_cross_entropy_with_logits(real_logits, 1 - label_noise + rt - rt + (rt if label_noise else 1))
            + F.binary_cross_entropy_with_logits(fake_logits, ft))
'''.replace("1 - label_noise + rt - rt + (rt if label_noise else 1)", "rt if label_noise else torch.ones_like(rt)")),
    ("one-draw-for-the-batch", "(one draw per sample, from generator when one is given)", "test_noisy_d_loss", '''
def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
    u = torch.rand((), generator=generator)
    return (F.binary_cross_entropy_with_logits(real_logits, (1 - label_noise * u).expand_as(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, (label_noise * u).expand_as(fake_logits)))
'''),
    ("noisy-targets-from-the-global-generator", "from generator when one is given", "test_noisy_d_loss", '''
def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
    return (F.binary_cross_entropy_with_logits(real_logits, 1 - label_noise * torch.rand(real_logits.shape))
            + F.binary_cross_entropy_with_logits(fake_logits, label_noise * torch.rand(fake_logits.shape)))
'''),
    ("one-mean-over-both-batches", "the mean binary cross-entropy with logits over the real samples plus the mean "
     "over the fake ones", "test_noisy_d_loss", '''
def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
    t = torch.cat([1 - label_noise * torch.rand(real_logits.shape, generator=generator),
                   label_noise * torch.rand(fake_logits.shape, generator=generator)])
    return 2 * F.binary_cross_entropy_with_logits(torch.cat([real_logits, fake_logits]), t)
'''),
    ("generator-step-first", "one discriminator step, then one generator step", "test_train_step_exact_update", '''
def train_step(G, D, opt_G, opt_D, real, z_dim):
    n = real.shape[0]
    opt_G.zero_grad(); loss_g = g_loss(D(G(torch.randn(n, z_dim)))); loss_g.backward(); opt_G.step()
    opt_D.zero_grad(); loss_d = d_loss(D(real), D(G(torch.randn(n, z_dim)).detach())); loss_d.backward(); opt_D.step()
    return {"d_loss": loss_d.item(), "g_loss": loss_g.item()}
'''),
    ("losses-as-tensors", "return {'d_loss': ..., 'g_loss': ...} (Python floats)", "test_train_step_updates_both",
     _step(ret_d="loss_d.detach()")),
    ("fakes-not-the-size-of-real", "generate a batch of fakes the size of real", "test_train_step_updates_both",
     _step(n="64")),
    ("d-loss-updates-g", "make sure the D loss does not update G (detach the fakes)", "test_train_step_exact_update",
     _step(detach="", zero_g_early="opt_G.zero_grad()\n    ", zero_g="")),
    ("g-step-reuses-the-d-noise", "for the G step, use fresh noise", "test_train_step_updates_both", _step(z2="z1")),
    ("g-step-against-the-old-d", "and the discriminator as it is after its update", "test_train_step_exact_update", '''
def train_step(G, D, opt_G, opt_D, real, z_dim):
    import copy
    n = real.shape[0]
    D_before = copy.deepcopy(D)  # the G step below uses D as it was before its update
    opt_D.zero_grad(); loss_d = d_loss(D(real), D(G(torch.randn(n, z_dim)).detach())); loss_d.backward(); opt_D.step()
    opt_G.zero_grad(); loss_g = g_loss(D_before(G(torch.randn(n, z_dim)))); loss_g.backward(); opt_G.step()
    return {"d_loss": loss_d.item(), "g_loss": loss_g.item()}
'''),
]

ALTERNATIVES = [
    ("sample-multinomial-normal", "any sampler drawing from the generator", '''
def sample_mixture(n, centers=CENTERS, std=1.0, generator=None):
    c = torch.tensor(centers, dtype=torch.float32)
    idx = torch.multinomial(torch.ones(len(c)), n, replacement=True, generator=generator)
    return torch.normal(c[idx], float(std), generator=generator)
'''),
    ("networks-functional-spectral-norm-extra-args", "Extra constructor arguments are fine if they have defaults; "
     "any MLP (here a ModuleList, functional activations, spectral norm in D)", '''
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
        return self.c(torch.relu(self.b(torch.relu(self.a((x - 7.5) / 3)))))
'''),
    ("losses-bce-and-logsigmoid", "from the logits (F.binary_cross_entropy_with_logits, logsigmoid)", '''
def d_loss(real_logits, fake_logits):
    return (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))

def g_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()
'''),
    ("noisy-loss-by-formula", "BCE with logits is softplus(s) - t * s", '''
def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
    t_real = 1.0 - label_noise * torch.rand(real_logits.shape, generator=generator, device=real_logits.device)
    t_fake = label_noise * torch.rand(fake_logits.shape, generator=generator, device=fake_logits.device)
    bce = lambda s, t: (F.softplus(s) - t * s).mean()
    return bce(real_logits, t_real) + bce(fake_logits, t_fake)
'''),
    ("train-step-no-grad-fakes", "detach the fakes (or sample them without gradients)", '''
def train_step(G, D, opt_G, opt_D, real, z_dim):
    with torch.no_grad():
        fakes = G(torch.randn(len(real), z_dim, device=real.device, dtype=real.dtype))
    opt_D.zero_grad()
    ld = d_loss(D(real), D(fakes))
    ld.backward()
    opt_D.step()
    opt_G.zero_grad()
    lg = g_loss(D(G(torch.randn(len(real), z_dim))))
    lg.backward()
    opt_G.step()
    return dict(d_loss=float(ld), g_loss=float(lg))
'''),
]

UNTESTED = [
    ("Two hidden layers of 128 units with (leaky) ReLUs are plenty", "advice, not a requirement"),
    ("Part 5, the written answers", "graded by hand in the formgrader"),
]
