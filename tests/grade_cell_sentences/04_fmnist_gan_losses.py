"""Notebook 04, sentence by sentence (issue 50); the layout is tests/grade_cell_sentences/01_binary_rnn.py's. The
held-out answers (benchmarks/heldout/04_fmnist_gan_losses.py), each written from one sentence, serve here: the wrong
ones as sentence mutants, the correct ones (a ParameterList applied with F.linear, weight-normalised layers, a norm
after its activation) as valid alternatives."""

from _heldout import answers

ANSWERS = answers("04_fmnist_gan_losses")

_CELL = {"generator-two": "test_networks_three_hidden_layers", "generator-tanh": "test_networks_shapes_and_ranges",
         "generator": "test_networks_shapes_and_ranges", "discriminator": "test_networks_shapes_and_ranges",
         "clip": "test_clip_weights", "wgan": "test_wgan_losses", "mse": "test_mse_g_loss",
         "lsgan-targets": "test_lsgan_d_loss", "lsgan-g": "test_lsgan_g_loss", "bce": "test_bce_losses"}

SENTENCES = [(name, note, next(c for p, c in _CELL.items() if name.startswith(p)), code)
             for kind, name, note, code in ANSWERS if kind == "wrong"]
ALTERNATIVES = [(name, note, code) for kind, name, note, code in ANSWERS if kind == "correct"]

UNTESTED = [
    ("Suggested widths ... A nn.BatchNorm1d after each hidden layer of the generator", "suggestions"),
    ("Part 6, the discussion", "graded by hand in the formgrader"),
]
