"""Notebook 08, sentence by sentence (issue 50); the layout is tests/grade_cell_sentences/01_binary_rnn.py's. The
held-out answers (benchmarks/heldout/08_sn_wgan_gp.py), each written from one sentence, all hold on the cells as they
were, and serve here."""

from _heldout import answers

ANSWERS = answers("08_sn_wgan_gp")

_CELL = {"power": "test_power_iteration", "eps": "test_gradient_penalty", "no-create": "test_gradient_penalty",
         "norm": "test_gradient_penalty", "one-sided": "test_gradient_penalty", "penalty": "test_gradient_penalty",
         "g-": "test_dcgan_512", "d-": "test_dcgan_512"}

SENTENCES = [(name, note, next(c for p, c in _CELL.items() if name.startswith(p)), code)
             for kind, name, note, code in ANSWERS if kind == "wrong"]
ALTERNATIVES = [(name, note, code) for kind, name, note, code in ANSWERS if kind == "correct"]

UNTESTED = [
    ("Do not worry about division by zero", "a permission, not a requirement"),
    ("The channel widths are yours to choose", "a freedom: the alternatives use other widths and (k, s, p) plans"),
    ("Parts 3 (question) and 4, the written answers", "graded by hand in the formgrader"),
]
