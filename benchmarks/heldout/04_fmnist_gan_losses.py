"""Held-out answers for notebook 04, written on 2026-12-07 from the notebook's text alone, before any change to its
grade cells (issue 50). See benchmarks/heldout/01_binary_rnn.py."""

_GEN = """
class MLPGenerator(nn.Module):
    def __init__(self, z_dim, out_dim, hidden=(128, 256, 512)):
        super().__init__()
        dims = [z_dim, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(dims[-1], out_dim)
    def forward(self, z):
        for layer in self.hidden:
            z = {act}(layer(z))
        return {end}(self.out(z))
"""
_DISC = """
class MLPDiscriminator(nn.Module):
    def __init__(self, in_dim, hidden=(256, 128, 64)):
        super().__init__()
        dims = [in_dim, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.out = nn.Linear(dims[-1], {units})
    def forward(self, x):
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return {end}(self.out(x))
"""

ANSWERS = [
    # ---------------------------------------------------------------- correct, written another way
    ("correct", "generator-parameterlist-functional", "Part 1 (parameters applied with F.linear)", """
class MLPGenerator(nn.Module):
    def __init__(self, z_dim, out_dim, hidden=(128, 256, 512)):
        super().__init__()
        dims = [z_dim, *hidden, out_dim]
        self.weights = nn.ParameterList(nn.Parameter(torch.randn(b, a) / a ** 0.5) for a, b in zip(dims[:-1], dims[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(b)) for b in dims[1:])
    def forward(self, z):
        for w, b in zip(list(self.weights)[:-1], list(self.biases)[:-1]):
            z = F.relu(F.linear(z, w, b))
        return torch.tanh(F.linear(z, self.weights[-1], self.biases[-1]))
"""),
    ("correct", "discriminator-weight-norm", "Part 1 (parametrized linear layers)", """
class MLPDiscriminator(nn.Module):
    def __init__(self, in_dim, hidden=(256, 128, 64)):
        super().__init__()
        wn = nn.utils.parametrizations.weight_norm
        dims = [in_dim, *hidden]
        self.layers = nn.ModuleList(wn(nn.Linear(a, b)) for a, b in zip(dims[:-1], dims[1:]))
        self.head = wn(nn.Linear(dims[-1], 1))
    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x))
        return self.head(x)
"""),
    ("correct", "generator-norm-after-the-activation", "Part 1 (a norm layer after its ReLU)", """
class MLPGenerator(nn.Module):
    def __init__(self, z_dim, out_dim, hidden=(128, 256, 512)):
        super().__init__()
        h1, h2, h3 = hidden
        self.net = nn.Sequential(nn.Linear(z_dim, h1), nn.ReLU(), nn.LayerNorm(h1),
                                 nn.Linear(h1, h2), nn.ReLU(), nn.LayerNorm(h2),
                                 nn.Linear(h2, h3), nn.ReLU(), nn.LayerNorm(h3),
                                 nn.Linear(h3, out_dim), nn.Tanh())
    def forward(self, z):
        return self.net(z)
"""),
    ("correct", "losses-with-functional-forms", "Parts 2-5", """
def bce_d_loss(real, fake):
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))

def bce_g_loss(fake):
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))

def mse_g_loss(real, fake):
    return F.mse_loss(fake, real)

def wgan_d_loss(real, fake):
    return torch.mean(fake) - torch.mean(real)

def wgan_g_loss(fake):
    return torch.mean(-fake)

def lsgan_d_loss(real, fake):
    return F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake))

def lsgan_g_loss(fake):
    return F.mse_loss(fake, torch.ones_like(fake))
"""),
    ("correct", "clip-with-data", "Part 4 (.data: not recorded by autograd)", """
def clip_weights_(D, c):
    for p in D.parameters():
        p.data.clamp_(min=-c, max=c)
"""),
    # ---------------------------------------------------------------- wrong, each breaks one sentence
    ("wrong", "generator-two-hidden-layers", "three hidden linear layers", _GEN.format(act="torch.relu", end="torch.tanh")
     .replace("dims = [z_dim, *hidden]", "dims = [z_dim, *hidden[1:]]")),
    ("wrong", "generator-without-tanh", "then a linear output layer and tanh", _GEN.format(act="torch.relu", end="")),
    ("wrong", "generator-tanh-hidden-units", "three hidden linear layers with ReLU",
     _GEN.format(act="torch.tanh", end="torch.tanh")),
    ("wrong", "discriminator-final-relu", "a linear output layer with one unit and no activation",
     _DISC.format(units=1, end="torch.relu")),
    ("wrong", "discriminator-two-outputs", "with one unit", _DISC.format(units=2, end="")),
    ("wrong", "clip-weights-only", "clamps every parameter of the critic, weights and biases", """
def clip_weights_(D, c):
    with torch.no_grad():
        for name, p in D.named_parameters():
            if name.endswith("weight"):
                p.clamp_(-c, c)
"""),
    ("wrong", "clip-not-in-place", "in place", """
def clip_weights_(D, c):
    for p in D.parameters():
        p = p.clamp(-c, c)
"""),
    ("wrong", "clip-to-zero-c", "into [-c, c]", """
def clip_weights_(D, c):
    with torch.no_grad():
        for p in D.parameters():
            p.clamp_(0, c)
"""),
    ("wrong", "wgan-critic-sign-flipped", "wgan_d_loss = -mean(real) + mean(fake)", """
def wgan_d_loss(real, fake):
    return real.mean() - fake.mean()
"""),
    ("wrong", "mse-summed-per-image", "mean over all elements of (real - fake)^2", """
def mse_g_loss(real, fake):
    return ((real - fake) ** 2).flatten(1).sum(1).mean()
"""),
    ("wrong", "lsgan-targets-minus-one", "lsgan_d_loss = mean((real - 1)^2) + mean(fake^2)", """
def lsgan_d_loss(real, fake):
    return ((real - 1) ** 2).mean() + ((fake + 1) ** 2).mean()
"""),
    ("wrong", "lsgan-g-halved", "lsgan_g_loss = mean((fake - 1)^2)", """
def lsgan_g_loss(fake):
    return 0.5 * ((fake - 1) ** 2).mean()
"""),
    ("wrong", "bce-g-saturating", "the non-saturating bce_g_loss = mean softplus(-fake)", """
def bce_g_loss(fake):
    return -F.softplus(fake).mean()
"""),
]
