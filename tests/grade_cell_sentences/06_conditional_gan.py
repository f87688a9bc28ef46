"""Notebook 06, sentence by sentence (issue 50); the layout is tests/grade_cell_sentences/01_binary_rnn.py's. The
held-out answers (benchmarks/heldout/06_conditional_gan.py) were each written from one sentence and all hold on the
cells as they were, so they serve here too; a few more mutants follow."""

from _heldout import answers

ANSWERS = answers("06_conditional_gan")

_CELL = {"one-hot": "test_one_hot", "generator": "test_conditional_generator",
         "discriminator": "test_conditional_discriminator", "scores": "test_conditional_discriminator"}


def _cell(name: str) -> str:
    return next(cell for prefix, cell in _CELL.items() if name.startswith(prefix))


_G = """
class ConditionalGenerator(nn.Module):
    def __init__(self, z_dim, num_classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear({n_in}, 256), nn.ReLU(), nn.Linear(256, 784))
    def forward(self, z, y):
        return {out}.view(-1, 1, 28, 28)
"""

SENTENCES = [(name, note, _cell(name), code) for kind, name, note, code in ANSWERS if kind == "wrong"] + [
    ("one-hot-with-ten-columns", "a float32 tensor (B, num_classes)", "test_one_hot",
     "def one_hot(labels, num_classes=10):\n    return F.one_hot(labels, 10).float()\n"),
    ("generator-in-zero-one", "images (B, 1, 28, 28) in [-1, 1] (a tanh at the end)", "test_conditional_generator",
     _G.format(n_in="z_dim + num_classes", out="torch.sigmoid(self.net(torch.cat([z, y], 1)))")),
    ("generator-adds-instead-of-concatenating", "concatenates them into one (B, z_dim + num_classes) input",
     "test_conditional_generator",
     _G.format(n_in="z_dim", out="torch.tanh(self.net(z + y.sum(1, keepdim=True)))")),
    ("discriminator-without-the-label", "concatenates the flattened image (784 numbers) and the label",
     "test_conditional_discriminator", """
class ConditionalDiscriminator(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
    def forward(self, x, y):
        return self.net(x.flatten(1))
"""),
]

ALTERNATIVES = [(name, note, code) for kind, name, note, code in ANSWERS if kind == "correct"]

UNTESTED = [
    ("Suggested: for the generator, a linear layer ... then two nn.ConvTranspose2d layers",
     "a suggestion; an MLP generator is valid (see ALTERNATIVES)"),
    ("Part 4, the written answer", "graded by hand in the formgrader"),
]
