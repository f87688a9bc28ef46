"""Held-out answers for notebook 02, written on 2026-12-07 from the notebook's text alone, before any change to its
grade cells (issue 50). See benchmarks/heldout/01_binary_rnn.py."""

_VOCAB = """
def build_vocab(token_lists, max_size=None, min_freq=1):
    counts = Counter()
    for tokens in token_lists:
        counts.update({count_what})
    kept = [w for w, c in counts.items() if c {cmp} min_freq]
    kept.sort(key={key})
    if max_size is not None:
        kept = kept[:{room}]
    vocab = {{"<pad>": 0, "<unk>": 1}}
    vocab.update({{w: i + 2 for i, w in enumerate(kept)}})
    return vocab
"""


def _vocab(count_what="tokens", cmp=">=", key="lambda w: (-counts[w], w)", room="max(max_size - 2, 0)"):
    return _VOCAB.format(count_what=count_what, cmp=cmp, key=key, room=room)


_PAD = """
def encode_and_pad(tokens, vocab, length=400):
    ids = [vocab.get(t, {unk}) for t in {window}]
    return np.array({padded}, dtype={dtype})
"""


def _pad(unk="1", window="tokens[:length]", padded="[0] * (length - len(ids)) + ids", dtype="np.int64"):
    return _PAD.format(unk=unk, window=window, padded=padded, dtype=dtype)


_ACC = """
def accuracy(model, loader):
    {mode}
    {body}
"""

ANSWERS = [
    # ---------------------------------------------------------------- correct, written another way
    ("correct", "tokenize-by-characters", "Part 1", """
def tokenize(text):
    text = re.sub(r"<br\\s*/?>", " ", text, flags=re.I).lower()
    return "".join(ch for ch in text if ch not in string.punctuation).split()
"""),
    ("correct", "vocab-with-sorted-items", "Part 2", """
def build_vocab(token_lists, max_size=None, min_freq=1):
    counts = Counter(t for tokens in token_lists for t in tokens)
    ranked = [w for w, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_freq]
    if max_size is not None:
        ranked = ranked[:max(0, max_size - 2)]
    return {"<pad>": 0, "<unk>": 1, **{w: i for i, w in enumerate(ranked, start=2)}}
"""),
    ("correct", "pad-with-np-pad", "Part 3", """
def encode_and_pad(tokens, vocab, length=400):
    ids = np.array([vocab.get(t, 1) for t in tokens[:length]], dtype=np.int64)
    return np.pad(ids, (length - len(ids), 0), constant_values=0).astype(np.int64)
"""),
    ("correct", "gru-with-h_n-mlp-with-view", "Part 4 (the last hidden state; flatten with view)", """
class GRUSentiment(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.GRU(embed_dim, hidden_dim, batch_first=True)
        self.fc = nn.Linear(hidden_dim, 1)
    def forward(self, x):
        _, h_n = self.rnn(self.emb(x))
        return torch.sigmoid(self.fc(h_n[-1])).view(-1)


class MLPSentiment(nn.Module):
    def __init__(self, vocab_size, embed_dim, seq_len, hidden_dim):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.fc1, self.fc2 = nn.Linear(seq_len * embed_dim, hidden_dim), nn.Linear(hidden_dim, 1)
    def forward(self, x):
        h = self.emb(x).view(x.shape[0], -1)
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(h)))).view(-1)
"""),
    ("correct", "accuracy-by-concatenation", "Part 5", _ACC.format(mode="model.eval()", body="""hits = []
    with torch.no_grad():
        for x, y in loader:
            hits.append((model(x) > 0.5) == y.bool())
    return float(torch.cat(hits).float().mean())""")),
    # ---------------------------------------------------------------- wrong, each breaks one sentence
    ("wrong", "punctuation-before-line-breaks", "In this order: 1. replace every HTML line break ... 3. delete "
     "punctuation", """
def tokenize(text):
    text = text.lower().translate(str.maketrans("", "", string.punctuation))
    return re.sub(r"br\\s*", " ", text).split()
"""),
    ("wrong", "punctuation-becomes-space", "delete every punctuation character (so don't becomes dont)", """
def tokenize(text):
    text = re.sub(r"<br\\s*/?>", " ", text, flags=re.I).lower()
    return text.translate(str.maketrans(string.punctuation, " " * len(string.punctuation))).split()
"""),
    ("wrong", "only-lowercase-br-with-slash", "<br />, <br/>, <br>, in any case", """
def tokenize(text):
    text = text.replace("<br />", " ").lower()
    return text.translate(str.maketrans("", "", string.punctuation)).split()
"""),
    ("wrong", "vocab-counts-documents", "Count how often each word occurs (occurrences, not documents)",
     _vocab(count_what="set(tokens)")),
    ("wrong", "vocab-ties-in-first-seen-order", "ties in alphabetical order", _vocab(key="lambda w: -counts[w]")),
    ("wrong", "vocab-max-size-without-specials", "max_size limits the total number of entries, the two special "
     "ones included", _vocab(room="max_size")),
    ("wrong", "vocab-min-freq-strict", "Keep the words seen at least min_freq times", _vocab(cmp=">")),
    ("wrong", "pad-on-the-right", "padded with 0s on the left", _pad(padded="ids + [0] * (length - len(ids))")),
    ("wrong", "truncate-keeps-the-end", "keeps its first length words", _pad(window="tokens[-length:]")),
    ("wrong", "unknown-as-padding", "Words missing from the vocabulary map to 1", _pad(unk="0")),
    ("wrong", "ids-int32", "a NumPy array of length int64 ids", _pad(dtype="np.int32")),
    ("wrong", "gru-mean-over-time", "an nn.Linear(hidden_dim, 1) applied to the GRU's output at the last time step",
     """
class GRUSentiment(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.GRU(embed_dim, hidden_dim, batch_first=True)
        self.fc = nn.Linear(hidden_dim, 1)
    def forward(self, x):
        out, _ = self.rnn(self.emb(x))
        return torch.sigmoid(self.fc(out.mean(dim=1))).squeeze(-1)
"""),
    ("wrong", "embeddings-without-padding-idx", "Use padding_idx=0 in the embeddings", """
class MLPSentiment(nn.Module):
    def __init__(self, vocab_size, embed_dim, seq_len, hidden_dim):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, embed_dim)
        self.mlp = nn.Sequential(nn.Linear(seq_len * embed_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 1))
    def forward(self, x):
        return torch.sigmoid(self.mlp(self.emb(x).flatten(1))).squeeze(-1)
"""),
    ("wrong", "mlp-without-relu", "nn.Linear(seq_len * embed_dim, hidden_dim), a ReLU, nn.Linear(hidden_dim, 1)", """
class MLPSentiment(nn.Module):
    def __init__(self, vocab_size, embed_dim, seq_len, hidden_dim):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.mlp = nn.Sequential(nn.Linear(seq_len * embed_dim, hidden_dim), nn.Linear(hidden_dim, 1))
    def forward(self, x):
        return torch.sigmoid(self.mlp(self.emb(x).flatten(1))).squeeze(-1)
"""),
    ("wrong", "accuracy-mean-of-batch-means", "over all the reviews the loader yields; batches need not have the same "
     "size", _ACC.format(mode="model.eval()", body="""with torch.no_grad():
        shares = [((model(x) > 0.5).long() == y).float().mean().item() for x, y in loader]
    return sum(shares) / len(shares)""")),
    ("wrong", "accuracy-half-counts-positive", "probability > 0.5 means positive",
     _ACC.format(mode="model.eval()", body="""right = seen = 0
    with torch.no_grad():
        for x, y in loader:
            right += ((model(x) >= 0.5).long() == y).sum().item(); seen += len(y)
    return right / seen""")),
    ("wrong", "accuracy-in-training-mode", "Evaluate in evaluation mode (model.eval())",
     _ACC.format(mode="pass", body="""right = seen = 0
    with torch.no_grad():
        for x, y in loader:
            right += ((model(x) > 0.5).long() == y).sum().item(); seen += len(y)
    return right / seen""")),
    ("wrong", "accuracy-as-a-tensor", "return a Python float", _ACC.format(mode="model.eval()", body="""right = seen = 0
    with torch.no_grad():
        for x, y in loader:
            right = right + ((model(x) > 0.5).long() == y).sum(); seen += len(y)
    return right / seen""")),
]
