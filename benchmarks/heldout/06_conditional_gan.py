"""Held-out answers for notebook 06, written on 2026-12-07 from the notebook's text alone, before any change to its
grade cells (issue 50). See benchmarks/heldout/01_binary_rnn.py."""

_D_TAIL = """
    def forward(self, x, y):
        return self.net({inp})
"""

ANSWERS = [
    # ---------------------------------------------------------------- correct, written another way
    ("correct", "one-hot-by-scatter", "Part 1", """
def one_hot(labels, num_classes=10):
    out = torch.zeros(labels.shape[0], num_classes, dtype=torch.float32, device=labels.device)
    return out.scatter_(1, labels.long().unsqueeze(1), 1.0)
"""),
    ("correct", "one-hot-by-eye", "Part 1", """
def one_hot(labels, num_classes=10):
    return torch.eye(num_classes, device=labels.device)[labels]
"""),
    ("correct", "mlp-generator", "Part 2 (an MLP, a tanh at the end)", """
class ConditionalGenerator(nn.Module):
    def __init__(self, z_dim, num_classes, width=256):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(z_dim + num_classes, width), nn.LeakyReLU(0.2),
                                  nn.Linear(width, 2 * width), nn.LayerNorm(2 * width), nn.LeakyReLU(0.2),
                                  nn.Linear(2 * width, 784))
    def forward(self, z, y):
        return torch.tanh(self.body(torch.cat((z, y), 1))).view(-1, 1, 28, 28)
"""),
    ("correct", "label-first-spectral-norm-discriminator", "Part 3 (any order inside the concatenation)", """
class ConditionalDiscriminator(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.l1, self.l2, self.l3 = sn(nn.Linear(num_classes + 784, 256)), sn(nn.Linear(256, 128)), nn.Linear(128, 1)
    def forward(self, x, y):
        h = torch.cat([y, x.flatten(1)], dim=1)
        return self.l3(F.leaky_relu(self.l2(F.leaky_relu(self.l1(h), 0.2)), 0.2))
"""),
    # ---------------------------------------------------------------- wrong, each breaks one sentence
    ("wrong", "one-hot-as-integers", "a float32 tensor (B, num_classes)", """
def one_hot(labels, num_classes=10):
    return F.one_hot(labels, num_classes)
"""),
    ("wrong", "one-hot-always-on-the-cpu", "on the same device as labels", """
def one_hot(labels, num_classes=10):
    out = torch.zeros(len(labels), num_classes)
    out[torch.arange(len(labels)), labels.cpu()] = 1.0
    return out
"""),
    ("wrong", "generator-ignores-the-label", "concatenates them into one (B, z_dim + num_classes) input", """
class ConditionalGenerator(nn.Module):
    def __init__(self, z_dim, num_classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim + num_classes, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())
    def forward(self, z, y):
        return self.net(torch.cat([z, torch.zeros_like(y)], 1)).view(-1, 1, 28, 28)
"""),
    ("wrong", "generator-without-tanh", "images in [-1, 1] (a tanh at the end)", """
class ConditionalGenerator(nn.Module):
    def __init__(self, z_dim, num_classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim + num_classes, 256), nn.ReLU(), nn.Linear(256, 784))
    def forward(self, z, y):
        return self.net(torch.cat([z, y], 1)).view(-1, 1, 28, 28)
"""),
    ("wrong", "generator-without-the-channel", "returns images (B, 1, 28, 28)", """
class ConditionalGenerator(nn.Module):
    def __init__(self, z_dim, num_classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim + num_classes, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())
    def forward(self, z, y):
        return self.net(torch.cat([z, y], 1)).view(-1, 28, 28)
"""),
    ("wrong", "discriminator-ends-in-sigmoid", "one unbounded score per image (no sigmoid)", """
class ConditionalDiscriminator(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784 + num_classes, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1), nn.Sigmoid())
""" + _D_TAIL.format(inp="torch.cat([x.flatten(1), y], 1)")),
    ("wrong", "discriminator-reads-half-the-image", "the flattened image (784 numbers)", """
class ConditionalDiscriminator(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(392 + num_classes, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
""" + _D_TAIL.format(inp="torch.cat([x.flatten(1)[:, :392], y], 1)")),
    ("wrong", "discriminator-label-after-the-first-layer", "concatenates the flattened image and the label into one "
     "(B, 784 + num_classes) input of an MLP", """
class ConditionalDiscriminator(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.a = nn.Linear(784, 256)
        self.b = nn.Sequential(nn.LeakyReLU(0.2), nn.Linear(256 + num_classes, 128), nn.LeakyReLU(0.2),
                               nn.Linear(128, 1))
    def forward(self, x, y):
        return self.b(torch.cat([self.a(x.flatten(1)), y], 1))
"""),
    ("wrong", "scores-of-shape-B", "returns one unbounded score per image, (B, 1)", """
class ConditionalDiscriminator(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784 + num_classes, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
""" + _D_TAIL.format(inp="torch.cat([x.flatten(1), y], 1)).squeeze(1") ),
]
