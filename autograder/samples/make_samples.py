"""Rebuild the bundled sample submissions from the current student releases.

Each sample student is the release notebook with some solution cells filled in, as a student would
hand it in. Run this after changing a released notebook (``python -m autograder.samples.make_samples``);
``expected_scores.json`` beside it states what each sample must score, and the demo test checks it.

01_binary_rnn
- alice: the reference answers.
- bob: the untouched release (blank).
- carol: partly done, with a subtle bug (sigma(0) = 1 in rnn_forward) and add_with_rnn not attempted.
- dave: correct, written another way (other valid weights: units permuted and scaled; string encoding).
- erin: correct except that add_with_rnn decodes through numpy int64, which overflows for 64-bit sums.

03_gmm_gan
- alice: correct, written another way (multinomial sampling, (N,) logits, BCEWithLogitsLoss, randn_like noise,
  noisy targets with uniform_).
- bob: the untouched release.
- carol: subtle mistakes (ignores the generator argument, log(sigmoid) losses, D loss leaking into G, one noisy
  target per batch instead of one per sample).

04_fmnist_gan_losses
- alice: correct, written another way (ModuleList + F.relu, library losses, .data clamping).
- bob: the untouched release.
- carol: clipping skips the biases; the LSGAN generator loss pushes fakes towards 0 instead of 1.

02_sentiment_gru_mlp
- alice: correct, written another way (character filter, most_common + sort, np.pad, the GRU's final
  hidden state h_n instead of its last output, predictions concatenated before comparing).
- bob: the untouched release.
- carol: deletes punctuation before removing the line breaks ("it<br />would" -> "itbrwould"), pads on
  the right, averages the GRU's outputs over time, and averages accuracies per batch.

05_mode_collapse
- alice: correct, written another way (a new Sequential of copied layers, one bincount over all samples,
  the copy trained with torch.autograd.grad and in-place updates; true unrolling over a list of weights,
  noise with torch.normal and masked_fill, drawn on the CPU and moved to the images' device).
- bob: the untouched release.
- carol: the classifier shares D's layers instead of copying them, label_histogram leaves G in evaluation
  mode, the unrolled step trains the copy k + 1 times (off by one), true unrolling on detached fakes, and
  salt-and-pepper noise with probability amount for each of -1 and +1, drawn on the CPU whatever the images'
  device (on a GPU, the "noise on D's inputs" run would fail: 3 points before issue 39's device check, 2 since),
  and every noise of Parts 2-4 drawn on the CPU whatever G's or the data's device, which the text asks for since
  issue 50 (0 points since: the 2 were the two "leaves D alone" tests).

06_conditional_gan
- alice: correct, written another way (scatter_ one-hot, LeakyReLU generator without batch norm,
  dropout in the discriminator).
- bob: the untouched release.
- carol: one_hot returns int64, and the discriminator ends with a sigmoid.

07_vae
- alice: correct, written another way (stride-1 convolutions with max pooling, upsampling + convolution in
  the decoder, one linear layer for mu and log_sigma2 split in two, sqrt(exp()) for sigma, F.mse_loss).
- bob: the untouched release.
- carol: sigma = exp(log_sigma2) instead of exp(log_sigma2 / 2), and the KL term with the textbook 1/2
  factor (the spec asks for it without).

08_sn_wgan_gp
- alice: correct, written another way (F.normalize, torch's sigma = ||W^T u||; torch.lerp interpolates,
  grad_outputs of ones, a hand-written norm; a 512 x 512 DCGAN whose first layer has a 32 x 32 kernel, batch norm
  and ReLU written before each following layer, a critic with functional LeakyReLU and a 32 x 32 head).
- bob: the untouched release.
- carol: power iteration right; the gradient penalty draws one epsilon per *pixel* (torch.rand_like); the
  512 x 512 discriminator ends in a sigmoid (a probability instead of a logit).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "submissions"

ENCODE = '''def encode_addition(a, b):
    T = max(a.bit_length(), b.bit_length()) + 1
    bits = lambda n: [(n >> t) & 1 for t in range(T)]
    return np.array([bits(a), bits(b)]).T, np.array(bits(a + b))
'''
FORWARD = '''def rnn_forward(x, U, W, b_h, v, b_y, h0):
    h, ys = np.asarray(h0, dtype=float), []
    for x_t in np.asarray(x, dtype=float):
        h = (U @ x_t + W @ h + b_h > 0).astype(float)
        ys.append(int(v @ h + b_y > 0))
    return np.array(ys)
'''
WEIGHTS = '''U = np.ones((3, 2))
W = np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0]])
b_h = np.array([-0.5, -1.5, -2.5])
v = np.array([1, -1, 1])
b_y = -0.5
h0 = np.zeros(3)
'''
ADD = '''def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    return sum(int(bit) << t for t, bit in enumerate(rnn_forward(x, U, W, b_h, v, b_y, h0)))
'''

ANSWERS_01: dict[str, dict[str, str]] = {
    "alice": {
        "encode_addition": ENCODE, "rnn_forward": FORWARD, "weights": WEIGHTS, "add_with_rnn": ADD,
        "answer_hidden_units": "Unit k fires when x1 + x2 + carry >= k; unit 2 is the carry, so W's middle "
                               "column feeds it back to every unit. W is 3x3: hidden state to hidden state.",
    },
    "bob": {},
    "carol": {
        "encode_addition": ENCODE,
        # Bug: >= instead of >, so sigma(0) = 1.
        "rnn_forward": FORWARD.replace("> 0", ">= 0"),
        "weights": WEIGHTS,
    },
    "dave": {
        "encode_addition": '''def encode_addition(a, b):
    T = max(len(bin(a)), len(bin(b))) - 2 + 1
    if a == 0 and b == 0:
        T = 1
    as_bits = lambda n, width: [int(c) for c in reversed(format(n, f"0{width}b"))][:width]
    x = np.stack([as_bits(a, T), as_bits(b, T)], axis=1)
    return x, np.array(as_bits(a + b, T))
''',
        "rnn_forward": '''def rnn_forward(x, U, W, b_h, v, b_y, h0):
    step = lambda a: np.heaviside(a, 0.0)   # heaviside(0, 0) = 0, as sigma requires
    h = np.asarray(h0, dtype=float)
    out = []
    for x_t in np.asarray(x, dtype=float):
        h = step(np.dot(U, x_t) + np.dot(W, h) + b_h)
        out.append(step(np.dot(v, h) + b_y))
    return np.asarray(out, dtype=int)
''',
        # Other valid weights: units ordered (carry, >=1, >=3) and everything scaled by 2.
        "weights": '''U = 2 * np.ones((3, 2))
W = np.array([[2, 0, 0], [2, 0, 0], [2, 0, 0]])
b_h = np.array([-3.0, -1.0, -5.0])
v = np.array([-2.0, 2.0, 2.0])
b_y = -1.0
h0 = np.zeros(3)
''',
        "add_with_rnn": '''def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    bits = rnn_forward(x, U, W, b_h, v, b_y, h0)
    return int("".join(str(int(bit)) for bit in bits[::-1]), 2)
''',
    },
    "erin": {
        "encode_addition": ENCODE, "rnn_forward": FORWARD, "weights": WEIGHTS,
        # Bug: numpy int64 arithmetic overflows once the sum needs more than 63 bits.
        "add_with_rnn": '''def add_with_rnn(a, b):
    x, _ = encode_addition(a, b)
    y = rnn_forward(x, U, W, b_h, v, b_y, h0)
    return int(np.dot(y, 2 ** np.arange(len(y))))
''',
    },
}


# --- 03_gmm_gan -------------------------------------------------------------------------------
SAMPLE_03 = '''def sample_mixture(n, centers=CENTERS, std=1.0, generator=None):
    c = torch.tensor(centers, dtype=torch.float32)
    k = torch.multinomial(torch.ones(len(c)), n, replacement=True, generator=generator)
    return torch.normal(c[k], std, generator=generator)
'''
NETWORKS_03 = '''class Generator(nn.Module):
    def __init__(self, z_dim=2):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(z_dim, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2))
        self.offset = nn.Parameter(torch.full((2,), 7.5))

    def forward(self, z):
        return self.body(z) + self.offset


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.body(x).squeeze(1)   # (N,) logits
'''
LOSSES_03 = '''bce = nn.BCEWithLogitsLoss()

def d_loss(real_logits, fake_logits):
    return bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))

def g_loss(fake_logits):
    return bce(fake_logits, torch.ones_like(fake_logits))
'''
STEP_03 = '''def train_step(G, D, opt_G, opt_D, real, z_dim):
    z = torch.randn(len(real), z_dim)
    fake = G(z)
    opt_D.zero_grad()
    ld = d_loss(D(real), D(fake.detach()))
    ld.backward()
    opt_D.step()
    opt_G.zero_grad()
    lg = g_loss(D(G(torch.randn_like(z))))   # fresh noise for the G step, as the text asks
    lg.backward()
    opt_G.step()
    return dict(d_loss=float(ld), g_loss=float(lg))
'''
NOISY_03 = '''def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
    t_real = torch.empty_like(real_logits).uniform_(1 - label_noise, 1, generator=generator)
    t_fake = torch.empty_like(fake_logits).uniform_(0, label_noise, generator=generator)
    return bce(real_logits, t_real) + bce(fake_logits, t_fake)
'''
ANSWERS_03: dict[str, dict[str, str]] = {
    # correct, written another way: multinomial sampling, (N,) logits, BCEWithLogitsLoss, randn_like noise
    "alice": {"sample_mixture": SAMPLE_03, "networks": NETWORKS_03, "losses": LOSSES_03, "train_step": STEP_03,
              "noisy_d_loss": NOISY_03,
              "answer_gan_regression": "The GAN only re-learns the same few points.",
              "answer_decay_vs_clipping": "Clipping is a hard Lipschitz constraint; decay is a soft penalty."},
    "bob": {},
    # subtle mistakes: the global RNG instead of the generator, log(sigmoid) losses that overflow,
    # and a train_step whose D loss also reaches G (no detach, G's gradients never zeroed)
    "carol": {
        "sample_mixture": SAMPLE_03.replace(", generator=generator", ""),
        # one target per batch instead of one per sample
        "noisy_d_loss": '''def noisy_d_loss(real_logits, fake_logits, label_noise=0.0, generator=None):
    t_real = 1 - label_noise * torch.rand(1, generator=generator)
    t_fake = label_noise * torch.rand(1, generator=generator)
    return (F.binary_cross_entropy_with_logits(real_logits, t_real.expand_as(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, t_fake.expand_as(fake_logits)))
''',
        "networks": NETWORKS_03,
        "losses": '''def d_loss(real_logits, fake_logits):
    return -(torch.log(torch.sigmoid(real_logits)).mean() + torch.log(1 - torch.sigmoid(fake_logits)).mean())

def g_loss(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()
''',
        "train_step": '''def train_step(G, D, opt_G, opt_D, real, z_dim):
    fake = G(torch.randn(len(real), z_dim))
    opt_D.zero_grad()
    ld = d_loss(D(real), D(fake))
    ld.backward()
    opt_D.step()
    lg = g_loss(D(G(torch.randn(len(real), z_dim))))
    lg.backward()
    opt_G.step()
    return {"d_loss": ld.item(), "g_loss": lg.item()}
''',
    },
}

# --- 04_fmnist_gan_losses ----------------------------------------------------------------------
NETWORKS_04 = '''class MLPGenerator(nn.Module):
    def __init__(self, z_dim, out_dim):
        super().__init__()
        sizes = [z_dim, 200, 300, 400, out_dim]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, z):
        for layer in self.layers[:-1]:
            z = F.relu(layer(z))
        return torch.tanh(self.layers[-1](z))


class MLPDiscriminator(nn.Module):
    def __init__(self, in_dim):
        super().__init__()
        sizes = [in_dim, 300, 200, 100, 1]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        x = x.flatten(1)
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))
        return self.layers[-1](x)
'''
ANSWERS_04: dict[str, dict[str, str]] = {
    # correct, written another way: ModuleList + F.relu, library losses, .data clamping
    "alice": {
        "networks": NETWORKS_04,
        "bce_losses": '''def bce_d_loss(real, fake):
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))

def bce_g_loss(fake):
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
''',
        "mse_loss": "def mse_g_loss(real, fake):\n    return F.mse_loss(fake, real)\n",
        "wgan": '''def wgan_d_loss(real, fake):
    return torch.mean(fake) - torch.mean(real)

def wgan_g_loss(fake):
    return -torch.mean(fake)

def clip_weights_(D, c):
    for p in D.parameters():
        p.data.clamp_(min=-c, max=c)
    return D
''',
        "lsgan": '''def lsgan_d_loss(real, fake):
    return F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake))

def lsgan_g_loss(fake):
    return F.mse_loss(fake, torch.ones_like(fake))
''',
        "answer_discussion": "BCE and LSGAN learn fastest; MSE learns the mean image; small clip values stall WGAN.",
    },
    "bob": {},
    # subtle mistakes: clipping skips the biases, and the LSGAN generator pushes fakes towards 0
    "carol": {
        "networks": NETWORKS_04,
        "bce_losses": '''def bce_d_loss(real, fake):
    return F.softplus(-real).mean() + F.softplus(fake).mean()

def bce_g_loss(fake):
    return F.softplus(-fake).mean()
''',
        "mse_loss": "def mse_g_loss(real, fake):\n    return ((real - fake) ** 2).mean()\n",
        "wgan": '''def wgan_d_loss(real, fake):
    return -real.mean() + fake.mean()

def wgan_g_loss(fake):
    return -fake.mean()

def clip_weights_(D, c):
    with torch.no_grad():
        for name, p in D.named_parameters():
            if "weight" in name:
                p.clamp_(-c, c)
''',
        "lsgan": '''def lsgan_d_loss(real, fake):
    return ((real - 1) ** 2).mean() + (fake ** 2).mean()

def lsgan_g_loss(fake):
    return (fake ** 2).mean()
''',
    },
}

MODELS_02 = '''class GRUSentiment(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, 0)  # padding_idx, positionally
        self.rnn = nn.GRU(input_size=embed_dim, hidden_size=hidden_dim, batch_first=True)
        self.fc = nn.Linear(hidden_dim, 1)

    def forward(self, x):
        _, h_n = self.rnn(self.embedding(x))
        return torch.sigmoid(self.fc(h_n[-1]))[:, 0]


class MLPSentiment(nn.Module):
    def __init__(self, vocab_size, embed_dim, seq_len, hidden_dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.hidden = nn.Linear(seq_len * embed_dim, hidden_dim)
        self.output = nn.Linear(hidden_dim, 1)

    def forward(self, x):
        h = F.relu(self.hidden(self.embedding(x).reshape(x.shape[0], -1)))
        return torch.sigmoid(self.output(h)).reshape(-1)
'''
ANSWERS_02: dict[str, dict[str, str]] = {
    "alice": {
        "tokenize": '''import re

def tokenize(text):
    text = re.sub("(?i)<br */?>", " ", text).lower()
    return "".join(ch for ch in text if ch not in string.punctuation).split()
''',
        "build_vocab": '''from collections import Counter

def build_vocab(token_lists, max_size=None, min_freq=1):
    counts = Counter(w for tokens in token_lists for w in tokens)
    ranked = sorted(counts.most_common(), key=lambda kv: (-kv[1], kv[0]))
    keep = [w for w, c in ranked if c >= min_freq]
    if max_size is not None:
        keep = keep[:max_size - 2]
    return {"<pad>": 0, "<unk>": 1, **{w: i + 2 for i, w in enumerate(keep)}}
''',
        "encode_and_pad": '''def encode_and_pad(tokens, vocab, length=400):
    ids = np.array([vocab.get(t, 1) for t in tokens][:length], dtype=np.int64)
    return np.pad(ids, (length - len(ids), 0)).astype(np.int64)
''',
        "models": MODELS_02,
        "accuracy": '''@torch.no_grad()
def accuracy(model, loader):
    model.eval()
    preds, labels = [], []
    for x, y in loader:
        preds.append(model(x).round().long())
        labels.append(y)
    return float((torch.cat(preds) == torch.cat(labels)).float().mean())
''',
        "answer_compare": "The GRU shares weights over time, so a phrase means the same wherever it is; the MLP memorises positions.",
    },
    "bob": {},
    "carol": {
        "tokenize": '''import re

def tokenize(text):
    text = text.lower().translate(str.maketrans("", "", string.punctuation))
    return text.replace("<br />", " ").split()
''',
        "build_vocab": '''from collections import Counter

def build_vocab(token_lists, max_size=None, min_freq=1):
    counts = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    words = sorted([w for w in counts if counts[w] >= min_freq], key=lambda w: (-counts[w], w))
    if max_size is not None:
        words = words[:max_size - 2]
    vocab = {"<pad>": 0, "<unk>": 1}
    for w in words:
        vocab[w] = len(vocab)
    return vocab
''',
        "encode_and_pad": '''def encode_and_pad(tokens, vocab, length=400):
    ids = [vocab.get(t, 1) for t in tokens[:length]]
    return np.array(ids + [0] * (length - len(ids)), dtype=np.int64)
''',
        "models": MODELS_02.replace("_, h_n = self.rnn(self.embedding(x))\n        return torch.sigmoid(self.fc(h_n[-1]))[:, 0]",
                                    "out, _ = self.rnn(self.embedding(x))\n        return torch.sigmoid(self.fc(out.mean(dim=1)))[:, 0]"),
        "accuracy": '''def accuracy(model, loader):
    model.eval()
    scores = []
    with torch.no_grad():
        for x, y in loader:
            scores.append(((model(x) > 0.5).long() == y).float().mean().item())
    return sum(scores) / len(scores)
''',
    },
}

NETWORKS_06 = '''class ConditionalGenerator(nn.Module):
    def __init__(self, z_dim, num_classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(z_dim + num_classes, 200), nn.LeakyReLU(0.2),
                                  nn.Linear(200, 400), nn.LeakyReLU(0.2), nn.Linear(400, 784))

    def forward(self, z, y):
        return torch.tanh(self.body(torch.cat((z, y), 1))).reshape(len(z), 1, 28, 28)


class ConditionalDiscriminator(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(784 + num_classes, 300), nn.LeakyReLU(0.2), nn.Dropout(0.3),
                                  nn.Linear(300, 1))

    def forward(self, x, y):
        return self.body(torch.cat((x.flatten(1), y), 1))
'''
ANSWERS_06: dict[str, dict[str, str]] = {
    "alice": {
        "one_hot": '''def one_hot(labels, num_classes=10):
    out = torch.zeros(len(labels), num_classes, device=labels.device)
    return out.scatter_(1, labels.long().view(-1, 1), 1.0)
''',
        "conditional_networks": NETWORKS_06,
        "answer_compare": "Sharper, class-balanced samples; shirts and T-shirts are confused.",
    },
    "bob": {},
    "carol": {
        "one_hot": "def one_hot(labels, num_classes=10):\n    return F.one_hot(labels, num_classes)\n",
        "conditional_networks": NETWORKS_06.replace("nn.Linear(300, 1))", "nn.Linear(300, 1), nn.Sigmoid())"),
    },
}

ANSWERS_05: dict[str, dict[str, str]] = {
    "alice": {
        "classifier_from_discriminator": '''def classifier_from_discriminator(D, num_classes=10):
    layers = [copy.deepcopy(layer) for layer in D]
    return nn.Sequential(*layers[:-1], nn.Linear(layers[-1].in_features, num_classes))
''',
        "label_histogram": '''def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    mode = G.training
    G.eval()
    with torch.no_grad():
        z = torch.randn(n, z_dim, device=next(G.parameters()).device)
        predicted = classifier(G(z)).argmax(-1)
    G.train(mode)
    return torch.bincount(predicted.cpu(), minlength=10).numpy()
''',
        "unrolled_g_step": '''def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    lookahead = copy.deepcopy(D)
    params = list(lookahead.parameters())
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim, device=real.device)).detach()
        r, f = lookahead(real), lookahead(fake)
        loss = (F.binary_cross_entropy_with_logits(r, torch.ones_like(r))
                + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)))
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(d_lr * g)
    scores = lookahead(G(torch.randn(len(real), z_dim, device=real.device)))
    loss = F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))
    opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    return float(loss)
''',
        "unrolled_surrogate_g_step": '''def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    names = [name for name, _ in D.named_parameters()]
    weights = [p.detach().clone().requires_grad_() for p in D.parameters()]
    bce = F.binary_cross_entropy_with_logits
    for _ in range(k):
        scores_real = torch.func.functional_call(D, dict(zip(names, weights)), real)
        scores_fake = torch.func.functional_call(D, dict(zip(names, weights)), G(torch.randn(len(real), z_dim, device=real.device)))
        loss = bce(scores_real, torch.ones_like(scores_real)) + bce(scores_fake, torch.zeros_like(scores_fake))
        weights = [w - d_lr * g for w, g in zip(weights, torch.autograd.grad(loss, weights, create_graph=True))]
    scores = torch.func.functional_call(D, dict(zip(names, weights)), G(torch.randn(len(real), z_dim, device=real.device)))
    loss = bce(scores, torch.ones_like(scores))
    opt_G.zero_grad()
    loss.backward()
    opt_G.step()
    return loss.item()
''',
        "augment_with_noise": '''def augment_with_noise(images, kind, amount, generator=None):
    shape = images.shape
    if kind == "gaussian":
        # drawn on the CPU (where a CPU generator draws), then moved to the images' device
        out = images + torch.normal(0.0, float(amount), size=shape, generator=generator).to(images.device)
    elif kind == "salt_and_pepper":
        u = torch.rand(shape, generator=generator).to(images.device)
        out = images.masked_fill(u < amount / 2, -1.0).masked_fill((u >= amount / 2) & (u < amount), 1.0)
    elif kind == "poisson":
        out = torch.poisson((images + 1) * amount / 2, generator=generator) * (2 / amount) - 1
    else:
        raise ValueError(f"unknown kind of noise: {kind}")
    return out.clamp(-1, 1)
''',
        "answer_unrolling_wgan": "Unrolling anticipates D; WGAN gives gradients towards missed modes.",
        "answer_small_data_clipping": "Few images: D memorises. Larger clip: stronger critic.",
    },
    "bob": {},
    "carol": {
        "classifier_from_discriminator": '''def classifier_from_discriminator(D, num_classes=10):
    return nn.Sequential(*list(D)[:-1], nn.Linear(D[-1].in_features, num_classes))
''',
        "label_histogram": '''def label_histogram(G, classifier, n=3000, z_dim=Z_DIM):
    G.eval()
    counts = np.zeros(10, dtype=int)
    with torch.no_grad():
        for _ in range(n // 500):
            for c in classifier(G(torch.randn(500, z_dim))).argmax(1).tolist():
                counts[c] += 1
        rest = n % 500
        if rest:
            for c in classifier(G(torch.randn(rest, z_dim))).argmax(1).tolist():
                counts[c] += 1
    return counts
''',
        # true unrolling on detached fakes (the copy-and-train scheme again: no gradient through the updates)
        "unrolled_surrogate_g_step": '''def unrolled_surrogate_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    params = {n: p.detach().requires_grad_() for n, p in D.named_parameters()}
    for _ in range(k):
        fake = G(torch.randn(len(real), z_dim)).detach()
        loss = bce_d_loss(torch.func.functional_call(D, params, (real,)), torch.func.functional_call(D, params, (fake,)))
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        params = {n: p - d_lr * g for (n, p), g in zip(params.items(), grads)}
    loss = bce_g_loss(torch.func.functional_call(D, params, (G(torch.randn(len(real), z_dim)),)))
    opt_G.zero_grad(); loss.backward(); opt_G.step()
    return loss.item()
''',
        # salt and pepper with probability amount for each of -1 and +1
        "augment_with_noise": '''def augment_with_noise(images, kind, amount, generator=None):
    if kind == "gaussian":
        out = images + amount * torch.randn(images.shape, generator=generator)
    elif kind == "salt_and_pepper":
        u = torch.rand(images.shape, generator=generator)
        out = torch.where(u < amount, -1.0, torch.where(u < 2 * amount, 1.0, images))
    elif kind == "poisson":
        out = 2 * torch.poisson(amount * (images + 1) / 2, generator=generator) / amount - 1
    else:
        raise ValueError(kind)
    return out.clamp(-1, 1)
''',
        "unrolled_g_step": '''def unrolled_g_step(G, D, opt_G, real, z_dim, k, d_lr):
    D2 = copy.deepcopy(D)
    opt = torch.optim.SGD(D2.parameters(), lr=d_lr)
    for _ in range(k + 1):
        fake = G(torch.randn(real.shape[0], z_dim)).detach()
        loss = bce_d_loss(D2(real), D2(fake))
        opt.zero_grad(); loss.backward(); opt.step()
    loss = bce_g_loss(D2(G(torch.randn(real.shape[0], z_dim))))
    opt_G.zero_grad(); loss.backward(); opt_G.step()
    return loss.item()
''',
    },
}

NETWORKS_07 = '''class EncoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, 24, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(24, out_channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))

    def forward(self, x):
        return self.layers(x)


class DecoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Upsample(scale_factor=2), nn.Conv2d(in_channels, 24, 3, padding=1), nn.ReLU(),
            nn.Upsample(scale_factor=2), nn.Conv2d(24, out_channels, 3, padding=1))

    def forward(self, h):
        return self.layers(h)
'''
VAE_07 = '''class VAE(nn.Module):
    def __init__(self, features_encoder, features_decoder, in_size, z_dim):
        super().__init__()
        self.features_encoder = features_encoder
        self.features_decoder = features_decoder
        self.in_size = tuple(in_size)
        self.z_dim = z_dim
        self.features_shape = self._feature_shape()
        n_features = int(np.prod(self.features_shape))
        self.posterior = nn.Linear(n_features, 2 * z_dim)
        self.expand = nn.Sequential(nn.Linear(z_dim, n_features), nn.Unflatten(1, self.features_shape))

    def _feature_shape(self):
        """Shape (C', H', W') of the encoder's features for one input of shape in_size (given)."""
        was_training = self.features_encoder.training
        self.features_encoder.eval()
        device = next(self.features_encoder.parameters()).device
        with torch.no_grad():
            h = self.features_encoder(torch.zeros(1, *self.in_size, device=device))
        self.features_encoder.train(was_training)
        return tuple(h.shape[1:])

    def encode(self, x):
        mu, log_sigma2 = self.posterior(torch.flatten(self.features_encoder(x), 1)).chunk(2, dim=1)
        sigma = torch.sqrt(torch.exp(log_sigma2))
        z = mu + SIGMA_FORMULA * torch.randn(mu.shape, device=mu.device)
        return z, mu, log_sigma2

    def decode(self, z):
        return torch.tanh(self.features_decoder(self.expand(z)))

    @torch.no_grad()
    def sample(self, n):
        return self.decode(torch.randn(n, self.z_dim, device=next(self.parameters()).device))

    def forward(self, x):
        z, mu, log_sigma2 = self.encode(x)
        return self.decode(z), mu, log_sigma2
'''
ANSWERS_07: dict[str, dict[str, str]] = {
    "alice": {
        "cnn_features": NETWORKS_07,
        "vae": VAE_07.replace("SIGMA_FORMULA", "sigma"),
        "vae_loss": '''def vae_loss(x, xr, z_mu, z_log_sigma2, x_sigma2):
    batch = x.shape[0]
    data_loss = F.mse_loss(xr, x, reduction="none").reshape(batch, -1).mean(dim=1).mean() / x_sigma2
    kl = (torch.exp(z_log_sigma2) + z_mu ** 2 - 1.0 - z_log_sigma2).sum(dim=1)
    kldiv_loss = kl.mean()
    return data_loss + kldiv_loss, data_loss, kldiv_loss
''',
        "answer_x_sigma2": "The likelihood variance: small = sharp reconstructions, poor samples.",
        "answer_loss_terms": "Reconstruct the image; stay close to the prior.",
        "answer_evidence": "log p(x) is intractable; the gap is KL(q || posterior).",
        "answer_log_variance": "Any real number is a valid log-variance; numerically stable.",
    },
    "bob": {},
    "carol": {
        "cnn_features": NETWORKS_07,
        "vae": VAE_07.replace("SIGMA_FORMULA", "torch.exp(log_sigma2)"),
        "vae_loss": '''def vae_loss(x, xr, z_mu, z_log_sigma2, x_sigma2):
    d_x = x[0].numel()
    data_loss = ((x - xr) ** 2).reshape(len(x), -1).sum(1).mean() / (x_sigma2 * d_x)
    kldiv_loss = 0.5 * (z_log_sigma2.exp() + z_mu ** 2 - 1 - z_log_sigma2).sum(1).mean()
    return data_loss + kldiv_loss, data_loss, kldiv_loss
''',
    },
}

GP_08 = '''def gradient_penalty(D, real, fake, lambda_gp=10.0):
    batch = real.size(0)
    eps = EPSILON
    x_hat = torch.lerp(fake.detach(), real.detach(), eps).requires_grad_()
    scores = D(x_hat)
    grads = torch.autograd.grad(outputs=scores, inputs=x_hat, grad_outputs=torch.ones_like(scores),
                                create_graph=True, retain_graph=True)[0]
    norms = torch.sqrt((grads.reshape(batch, -1) ** 2).sum(dim=1))
    return lambda_gp * ((norms - 1.0) ** 2).mean()
'''
DCGAN_512_08 = '''class Critic512(nn.Module):
    """Four halvings (512 -> 32), then one 32 x 32 kernel: one logit per image."""
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(a, b, 4, 2, 1) for a, b in [(3, 16), (16, 32), (32, 64), (64, 128)]])
        self.norms = nn.ModuleList([nn.BatchNorm2d(c) for c in (32, 64, 128)])
        self.head = nn.Conv2d(128, 1, 32, 1, 0)

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = conv(x)
            x = F.leaky_relu(self.norms[i - 1](x) if i > 0 else x, 0.2)
        return self.head(x).view(-1, 1)


def dcgan_512(z_dim=100):
    layers = [nn.ConvTranspose2d(z_dim, 256, 32, 1, 0)]            # 1 -> 32
    for a, b in [(256, 128), (128, 64), (64, 32)]:                  # 32 -> 256
        layers += [nn.BatchNorm2d(a), nn.ReLU(), nn.ConvTranspose2d(a, b, 4, 2, 1)]
    layers += [nn.BatchNorm2d(32), nn.ReLU(), nn.ConvTranspose2d(32, 3, 4, 2, 1), nn.Tanh()]   # 256 -> 512
    return nn.Sequential(*layers), Critic512()
'''

ANSWERS_08: dict[str, dict[str, str]] = {
    "alice": {
        "power_iteration": '''def power_iteration(W, u, n_iters=1):
    for _ in range(n_iters):
        v = F.normalize(torch.mv(W.t(), u), dim=0)
        u = F.normalize(torch.mv(W, v), dim=0)
    v = F.normalize(torch.mv(W.t(), u), dim=0)   # as torch does: v from the final u
    return torch.dot(u, torch.mv(W, v)), u
''',
        "gradient_penalty": GP_08.replace("EPSILON", "torch.rand([batch] + [1] * (real.dim() - 1), device=real.device)"),
        "dcgan_512": DCGAN_512_08,
        "answer_dcgan_512": "Transposed: out = (n - 1) s - 2p + k; 1 -> 32 with k 32, then four 4/2/1 doublings.",
        "answer_conclusions": "SN and GP train stably; clipping is slow; GP costs a double backward.",
    },
    "bob": {},
    "carol": {
        "power_iteration": '''def power_iteration(W, u, n_iters=1):
    for i in range(n_iters):
        v = W.T @ u
        v /= torch.linalg.norm(v)
        u = W @ v
        u /= torch.linalg.norm(u)
    sigma = torch.dot(u, W @ v)
    return sigma, u
''',
        "gradient_penalty": GP_08.replace("EPSILON", "torch.rand_like(real)"),
        # D ends in a sigmoid (a probability, not the logit the spec asks for)
        "dcgan_512": DCGAN_512_08.replace("return self.head(x).view(-1, 1)", "return torch.sigmoid(self.head(x)).view(-1, 1)"),
    },
}

ANSWERS = {"01_binary_rnn": ANSWERS_01, "02_sentiment_gru_mlp": ANSWERS_02, "03_gmm_gan": ANSWERS_03,
           "04_fmnist_gan_losses": ANSWERS_04, "05_mode_collapse": ANSWERS_05, "06_conditional_gan": ANSWERS_06,
           "07_vae": ANSWERS_07, "08_sn_wgan_gp": ANSWERS_08}


def build(out: Path = OUT) -> None:
    """Write every sample student's notebooks under ``out`` (the bundled ``submissions/`` folder by default)."""
    for assignment, students in ANSWERS.items():
        release = nbformat.read(ROOT / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
        for student, answers in students.items():
            nb = nbformat.from_dict(release)
            for cell in nb.cells:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if gid in answers and cell.metadata["nbgrader"].get("solution"):
                    cell.source = answers[gid].rstrip("\n")
            folder = out / student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / f"{assignment}.ipynb")
            print(f"wrote {folder}/{assignment}.ipynb")


if __name__ == "__main__":
    build()
