"""Held-out answers for notebook 01, written on 2026-12-07 from the notebook's text alone (a colleague's style,
not the solution's), before the grade cells were changed for issue 50. ``correct`` answers must keep every point;
each ``wrong`` one breaks the sentence quoted in its note and must lose the points of some grade cell.
Run by ``benchmarks/grade_cell_sentences.py --heldout`` (in process, as tests/test_grade_cells.py runs cells)."""

ANSWERS = [
    # ---------------------------------------------------------------- correct, written another way
    ("correct", "encode-with-format-strings", "Part 1", """
def encode_addition(a, b):
    T = max(len(bin(a)), len(bin(b))) - 2 + 1
    ra, rb, rs = (format(n, 'b')[::-1].ljust(T, '0')[:T] for n in (a, b, a + b))
    x = np.array([[int(p), int(q)] for p, q in zip(ra, rb)])
    y = np.array([int(c) for c in rs])
    return x, y
"""),
    ("correct", "encode-with-divmod-loop", "Part 1", """
def encode_addition(a, b):
    T = max(a.bit_length(), b.bit_length()) + 1
    cols, s = [], a + b
    ys = []
    for _ in range(T):
        a, ra = divmod(a, 2)
        b, rb = divmod(b, 2)
        s, rs = divmod(s, 2)
        cols.append((ra, rb)); ys.append(rs)
    return np.array(cols, dtype=np.int32), np.array(ys, dtype=np.int32)
"""),
    ("correct", "forward-with-heaviside", "Part 2", """
def rnn_forward(x, U, W, b_h, v, b_y, h0):
    h = np.array(h0, dtype=float)
    out = []
    for xt in np.asarray(x):
        h = np.heaviside(np.dot(U, xt) + np.dot(W, h) + b_h, 0.0)
        out.append(np.heaviside(np.dot(v, h) + b_y, 0.0))
    return np.array(out, dtype=int)
"""),
    ("correct", "forward-that-updates-h0-in-place", "Part 2", """
def rnn_forward(x, U, W, b_h, v, b_y, h0):
    h = h0  # works on the caller's array: every step overwrites it
    y = np.zeros(len(x), dtype=int)
    for t in range(len(x)):
        h[...] = (U @ x[t] + W @ h + b_h > 0)
        y[t] = 1 if v @ h + b_y > 0 else 0
    return y
"""),
    ("correct", "weights-scaled-by-two", "Part 3", """
U = 2.0 * np.ones((3, 2))
W = np.zeros((3, 3)); W[:, 1] = 2.0
b_h = np.array([-1.0, -3.0, -5.0])
v = np.array([2.0, -2.0, 2.0])
b_y = np.float64(-1.0)
h0 = [0, 0, 0]
"""),
    ("correct", "add-with-int-of-string", "Part 4", """
def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    bits = rnn_forward(x, U, W, b_h, v, b_y, h0)
    return int("".join(str(int(bit)) for bit in bits[::-1]), 2)
"""),
    # ---------------------------------------------------------------- wrong, each breaks one sentence
    ("wrong", "encode-T-from-the-sum", "T is the length of the longer binary number plus one", """
def encode_addition(a, b):
    T = max((a + b).bit_length(), 1)
    bits = lambda n: [(n >> t) & 1 for t in range(T)]
    return np.array([bits(a), bits(b)]).T, np.array(bits(a + b))
"""),
    ("wrong", "encode-floats", "x, an integer array", """
def encode_addition(a, b):
    T = max(a.bit_length(), b.bit_length()) + 1
    x = np.zeros((T, 2)); y = np.zeros(T)
    for t in range(T):
        x[t] = ((a >> t) & 1, (b >> t) & 1); y[t] = ((a + b) >> t) & 1
    return x, y.astype(int)
"""),
    ("wrong", "forward-sigma-zero-fires", "Remember that sigma(0) = 0", """
def rnn_forward(x, U, W, b_h, v, b_y, h0):
    h = np.asarray(h0, float); y = []
    for xt in np.asarray(x, float):
        h = (U @ xt + W @ h + b_h >= 0).astype(float)
        y.append(int(v @ h + b_y >= 0))
    return np.array(y)
"""),
    ("wrong", "forward-reads-the-old-state", "y_t = sigma(v . h_t + b_y)", """
def rnn_forward(x, U, W, b_h, v, b_y, h0):
    h = np.asarray(h0, float); y = []
    for xt in np.asarray(x, float):
        y.append(int(v @ h + b_y > 0))
        h = (U @ xt + W @ h + b_h > 0).astype(float)
    return np.array(y)
"""),
    ("wrong", "b_y-as-a-one-element-array", "b_y (a number)", """
U = np.ones((3, 2)); W = np.zeros((3, 3)); W[:, 1] = 1
b_h = np.array([-0.5, -1.5, -2.5]); v = np.array([1.0, -1.0, 1.0]); b_y = np.array([-0.5]); h0 = np.zeros(3)
"""),
    ("wrong", "add-without-the-rnn", "encode the pair, run your RNN with your weights", """
def add_with_rnn(a, b):
    return int(a) + int(b)
"""),
    ("wrong", "add-returns-a-float", "turn the output bits back into a Python int", """
def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    bits = rnn_forward(x, U, W, b_h, v, b_y, h0)
    total = 0.0
    for t, bit in enumerate(bits):
        total += float(bit) * 2.0 ** t
    return total
"""),
    ("wrong", "add-returns-numpy-integer", "turn the output bits back into a Python int", """
def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    bits = rnn_forward(x, U, W, b_h, v, b_y, h0)
    return np.uint64(sum(int(bit) << t for t, bit in enumerate(bits)) % 2**64)
"""),
]
