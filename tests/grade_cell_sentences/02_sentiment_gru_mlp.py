"""Notebook 02, sentence by sentence (issue 50); the layout is tests/grade_cell_sentences/01_binary_rnn.py's. The
held-out answers (benchmarks/heldout/02_sentiment_gru_mlp.py), each written from one sentence, serve here."""

from _heldout import answers

ANSWERS = answers("02_sentiment_gru_mlp")

_CELL = {"punctuation": "test_tokenize", "only-lowercase": "test_tokenize", "vocab": "test_build_vocab",
         "pad": "test_encode_and_pad", "truncate": "test_encode_and_pad", "unknown": "test_encode_and_pad",
         "ids": "test_encode_and_pad", "gru": "test_gru_sentiment", "embeddings": "test_mlp_sentiment",
         "mlp": "test_mlp_sentiment", "accuracy": "test_accuracy"}

SENTENCES = [(name, note, next(c for p, c in _CELL.items() if name.startswith(p)), code)
             for kind, name, note, code in ANSWERS if kind == "wrong"]
ALTERNATIVES = [(name, note, code) for kind, name, note, code in ANSWERS if kind == "correct"]

UNTESTED = [
    ("The regular-expression module re and str.translate / str.maketrans are handy", "advice"),
    ("collections.Counter does the counting", "advice"),
    ("Part 6, the written answer", "graded by hand in the formgrader"),
]
