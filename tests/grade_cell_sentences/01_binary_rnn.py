"""Notebook 01, sentence by sentence (issue 50). ``SENTENCES``: (name, the sentence quoted, the grade cell expected
to catch it, a mutant written from the sentence that breaks exactly it). ``ALTERNATIVES``: (name, what the text
allows, a correct answer in that design). Run by tests/test_grade_cell_sentences.py and
benchmarks/grade_cell_sentences.py. Sentences no test enforces are listed in ``UNTESTED`` with the reason."""

_BITS = "def _bits(n, T):\n    return [(n >> t) & 1 for t in range(T)]\n"
_ENC = _BITS + '''
def encode_addition(a, b):
    T = {T}
    x = np.array([{cols}], dtype={dtype}){transpose}
    y = np.array({y}, dtype={ydtype})
    return x, y
'''


def _enc(T="max(a.bit_length(), b.bit_length()) + 1", cols="_bits(a, T), _bits(b, T)", transpose=".T",
         dtype="np.int64", y="_bits(a + b, T)", ydtype="np.int64"):
    return _ENC.format(T=T, cols=cols, transpose=transpose, dtype=dtype, y=y, ydtype=ydtype)


_FWD = '''
def rnn_forward(x, U, W, b_h, v, b_y, h0):
    h = {h_start}
    out = []
    for x_t in np.asarray(x, dtype=float):
        {before}h = (np.asarray(U) @ x_t + np.asarray(W) @ {h_prev} + np.asarray(b_h) {cmp} 0).astype(float)
        {after}
    return np.array(out{ret}, dtype=np.int64)
'''
_OUT = "out.append(int(np.asarray(v) @ h + b_y {cmp} 0))"


def _fwd(h_start="np.asarray(h0, dtype=float)", h_prev="h", cmp=">", out_cmp=">", read_before=False, ret=""):
    line = _OUT.format(cmp=out_cmp)
    return _FWD.format(h_start=h_start, h_prev=h_prev, cmp=cmp, before=(line + "\n        ") if read_before else "",
                       after="" if read_before else line, ret=ret)


SENTENCES = [
    ("sigma-of-zero-fires", "sigma(a) = 1 if a > 0 else 0. Note the strict inequality: sigma(0) = 0",
     "test_rnn_forward_small_networks", _fwd(cmp=">=")),
    ("output-sigma-of-zero-fires", "Remember that sigma(0) = 0 (the output y_t = sigma(v . h_t + b_y))",
     "test_rnn_forward_small_networks", _fwd(out_cmp=">=")),
    ("x-not-integer", "x, an integer array of shape (T, 2)", "test_encode_addition_example", _enc(dtype="float")),
    ("x-transposed", "x, an integer array of shape (T, 2)", "test_encode_addition_example", _enc(transpose="")),
    ("columns-swapped", "column 0 holds the bits of a, column 1 the bits of b", "test_encode_addition_example",
     _enc(cols="_bits(b, T), _bits(a, T)")),
    ("most-significant-first", "least significant bit first", "test_encode_addition_example",
     _BITS + '''
def encode_addition(a, b):
    T = max(a.bit_length(), b.bit_length()) + 1
    return (np.array([_bits(a, T)[::-1], _bits(b, T)[::-1]]).T, np.array(_bits(a + b, T)[::-1]))
'''),
    ("y-not-integer", "y, an integer array of shape (T,)", "test_encode_addition_example", _enc(ydtype="float")),
    ("y-without-carries", "y ...: the bits of a + b", "test_encode_addition_example", _enc(y="_bits(a ^ b, T)")),
    ("T-without-the-extra-bit", "T is the length of the longer binary number plus one",
     "test_encode_addition_lengths", _enc(T="max(a.bit_length(), b.bit_length(), 1)")),
    ("T-from-the-shorter", "the shorter number is padded with zeros to the same length", "test_encode_addition_lengths",
     _enc(T="min(a.bit_length(), b.bit_length()) + 1")),
    ("encoding-limited-to-int64", "Python integers have no size limit, and neither should your encoding",
     "test_encode_addition_lengths", '''
def encode_addition(a, b):
    a64, b64 = np.int64(a % 2**63), np.int64(b % 2**63)
    T = max(int(a).bit_length(), int(b).bit_length()) + 1
    bits = lambda n: [int((n >> t) & 1) if t < 63 else 0 for t in range(T)]
    return np.array([bits(a64), bits(b64)]).T, np.array(bits(np.int64((a + b) % 2**63)))
'''),
    ("no-recurrence", "h_t = sigma(U x_t + W h_{t-1} + b_h)", "test_rnn_forward_small_networks",
     _fwd(h_prev="np.asarray(h0, dtype=float)")),
    ("not-starting-from-h0", "(starting from h0)", "test_rnn_forward_small_networks", _fwd(h_start="np.zeros(3)")),
    ("output-from-the-old-state", "y_t = sigma(v . h_t + b_y)", "test_rnn_forward_small_networks",
     _fwd(read_before=True)),
    ("output-of-shape-T-by-1", "returns the outputs ... as an array of 0s and 1s of shape (T,)",
     "test_rnn_forward_any_weights", _fwd(ret="[:, None] if out else np.zeros((0, 1))").replace(
         "np.array(out[:, None] if out else np.zeros((0, 1)), dtype=np.int64)",
         "np.array(out, dtype=np.int64)[:, None]")),
    ("only-its-own-weights", "It must work for any weights of the right shapes, not only yours",
     "test_rnn_forward_small_networks", '''
def rnn_forward(x, U_, W_, b_h_, v_, b_y_, h0_):
    return np.array([int(bit) for bit in encode_addition(*[sum(int(b) << t for t, b in enumerate(col))
                                                        for col in np.asarray(x).T])[1]][:len(x)])
'''),
    ("U-transposed", "Choose U (3x2), W (3x3), b_h (3,), v (3,), b_y (a number) and h0 (3,)", "test_weights_shapes",
     "U = np.ones((2, 3))"),
    ("b_y-an-array", "b_y (a number)", "test_weights_shapes", "b_y = np.array([-0.5])"),
    ("weights-that-do-not-add", "so that rnn_forward outputs the bits of a + b", "test_weights_add",
     "b_h = np.array([-0.5, -1.5, -3.5])"),
    ("add-without-the-rnn", "encode the pair, run your RNN with your weights", "test_add_with_rnn_all_bytes",
     "def add_with_rnn(a, b):\n    return a + b\n"),
    ("add-returns-a-float", "turn the output bits back into a Python int", "test_add_with_rnn_64_bit", '''
def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    return float(sum(int(bit) << t for t, bit in enumerate(rnn_forward(x, U, W, b_h, v, b_y, h0))))
'''),
    ("add-returns-numpy", "turn the output bits back into a Python int", "test_add_with_rnn_64_bit", '''
def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    return np.int64(sum(int(bit) << t for t, bit in enumerate(rnn_forward(x, U, W, b_h, v, b_y, h0))) % 2**63)
'''),
    ("add-in-int64", "the hidden tests add 64-bit integers, whose sum does not fit in numpy's int64",
     "test_add_with_rnn_64_bit", '''
def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    y = rnn_forward(x, U, W, b_h, v, b_y, h0)
    return int(np.sum(np.asarray(y, dtype=np.int64) * (np.int64(2) ** np.arange(len(y), dtype=np.int64))))
'''),
]

ALTERNATIVES = [
    ("encode-with-strings", "any way to get the bits", '''
def encode_addition(a, b):
    T = max(len(format(a, "b")), len(format(b, "b"))) + 1 if (a or b) else 1
    col = lambda n: [int(c) for c in format(n, "b")[::-1].ljust(T, "0")]
    return np.array([col(a), col(b)]).T, np.array(col(a + b))
'''),
    ("encode-uint8", "an integer array (any integer dtype)", _enc(dtype="np.uint8", ydtype="np.int8")),
    ("forward-heaviside", "sigma written with np.heaviside(., 0)", '''
def rnn_forward(x, U, W, b_h, v, b_y, h0):
    h, out = np.array(h0, dtype=float), []
    for x_t in np.asarray(x):
        h = np.heaviside(U @ x_t + W @ h + b_h, 0.0)
        out.append(np.heaviside(v @ h + b_y, 0.0))
    return np.array(out).astype(int)
'''),
    ("forward-updates-h0-in-place", "nothing forbids reusing the caller's array", '''
def rnn_forward(x, U, W, b_h, v, b_y, h0):
    h = h0
    y = np.zeros(len(x), dtype=int)
    for t in range(len(x)):
        h[...] = (U @ x[t] + W @ h + b_h > 0)
        y[t] = 1 if v @ h + b_y > 0 else 0
    return y
'''),
    ("forward-int8-output", "an array of 0s and 1s (any integer dtype)", _fwd().replace("dtype=np.int64", "dtype=np.int8")),
    ("weights-scaled", "any weights that work", '''
U = 2.0 * np.ones((3, 2)); W = np.zeros((3, 3)); W[:, 1] = 2.0
b_h = np.array([-1.0, -3.0, -5.0]); v = np.array([2.0, -2.0, 2.0]); b_y = -1.0; h0 = [0, 0, 0]
'''),
    ("weights-units-reordered", "any weights that work (the carry unit first)", '''
U = np.ones((3, 2)); W = np.zeros((3, 3)); W[:, 0] = 1
b_h = np.array([-1.5, -0.5, -2.5]); v = np.array([-1.0, 1.0, 1.0]); b_y = np.float64(-0.5); h0 = np.zeros(3)
'''),
    ("add-int-of-string", "turn the output bits back into a Python int", '''
def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    return int("".join(str(int(bit)) for bit in rnn_forward(x, U, W, b_h, v, b_y, h0))[::-1], 2)
'''),
    ("add-with-its-own-loop", "run your RNN with your weights (the loop written inline)", '''
def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    h, total = np.asarray(h0, dtype=float), 0
    for t, x_t in enumerate(np.asarray(x, dtype=float)):
        h = (np.asarray(U) @ x_t + np.asarray(W) @ h + np.asarray(b_h) > 0).astype(float)
        total += int(np.asarray(v) @ h + b_y > 0) << t
    return total
'''),
]

UNTESTED = [
    ("for non-negative integers a and b", "what encode_addition does with a negative number is not asked"),
    ("Part 5, the written answer", "graded by hand in the formgrader"),
]
