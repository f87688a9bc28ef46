"""Exploration: which one change (optimiser, learning rate and steps fixed) reduces collapse in notebook 05's
collapsing setting, the MLP generator without batch normalisation?

    python benchmarks/collapse_remedies.py KIND [STEPS=4000] [SEED=0]

KIND: vanilla, fm (feature matching), mbd (minibatch discrimination, Salimans et al. 2016), pac2 / pac4
(PacGAN packing), noise0.3 (instance noise), smooth (one-sided label smoothing 0.9), ms (mode-seeking
regulariser, LAM=1), drop0.3 (dropout in D), sn (spectral norm in D), tu (true unrolling, k=5 differentiable
SGD steps of D with learning rate 0.05, as the notebook's unrolled_surrogate_g_step). Prints the evaluation CNN's classes
covered and KL to uniform in 1,000 samples every tenth of the run. The networks copy the notebook's
(without its cache); the notebook itself trains only the adopted remedy. Results of 2026-12-03:
benchmarks/results/collapse-remedies-2026-12-03.md.
"""
import sys, time, json
import numpy as np, torch, torch.nn.functional as F
from torch import nn
from course_utils import seeding
from course_utils.data import fashion_mnist_tensors, random_batches
from course_utils.evaluation import load_eval_classifier
from course_utils.metrics import kl_to_uniform
from course_utils.training import train_gan

Z_DIM, BS, STEPS = 64, 64, int(sys.argv[2]) if len(sys.argv) > 2 else 4000
def make_generator(z_dim=Z_DIM):
    return nn.Sequential(nn.Linear(z_dim, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(),
        nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))

class MinibatchDiscrimination(nn.Module):
    """Salimans et al. 2016: B kernels of C dims; each example gets sum_j exp(-||M_i - M_j||_1) per kernel."""
    def __init__(self, n_in, B=50, C=5):
        super().__init__(); self.T = nn.Parameter(torch.randn(n_in, B * C) * 0.1); self.B, self.C = B, C
    def forward(self, h):
        M = (h @ self.T).view(-1, self.B, self.C)
        d = (M.unsqueeze(0) - M.unsqueeze(1)).abs().sum(3)
        o = torch.exp(-d).sum(0) - 1
        return torch.cat([h, o], 1)

class Pack(nn.Module):
    def __init__(self, m): super().__init__(); self.m = m
    def forward(self, x): return x.reshape(x.shape[0] // self.m, -1)

class InstanceNoise(nn.Module):
    def __init__(self, s): super().__init__(); self.s = s
    def forward(self, x): return x + self.s * torch.randn_like(x) if self.training else x

def make_D(kind):
    first = 784
    if kind.startswith("drop"):
        p = float(kind[4:])
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Dropout(p), nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Dropout(p),
                             nn.Linear(256, 128), nn.LeakyReLU(0.2), nn.Dropout(p), nn.Linear(128, 1))
    if kind == "sn":
        sn = nn.utils.parametrizations.spectral_norm
        return nn.Sequential(nn.Flatten(), sn(nn.Linear(784, 512)), nn.LeakyReLU(0.2), sn(nn.Linear(512, 256)), nn.LeakyReLU(0.2),
                             sn(nn.Linear(256, 128)), nn.LeakyReLU(0.2), sn(nn.Linear(128, 1)))
    pre = [nn.Flatten()]
    if kind.startswith("pac"): m = int(kind[3:]); pre = [Pack(m)]; first = 784 * m
    if kind.startswith("noise"): pre = [InstanceNoise(float(kind[5:])), nn.Flatten()]
    body = [nn.Linear(first, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 128), nn.LeakyReLU(0.2)]
    if kind == "mbd": return nn.Sequential(*pre, *body, MinibatchDiscrimination(128), nn.Linear(128 + 50, 1))
    return nn.Sequential(*pre, *body, nn.Linear(128, 1))

def bce_d(r, f, smooth=1.0):
    return F.binary_cross_entropy_with_logits(r, torch.full_like(r, smooth)) + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
bce_g = lambda f: F.binary_cross_entropy_with_logits(f, torch.ones_like(f))

def fm_step(G, D, opt_G, real, z_dim):
    feats = D[:-1]
    fake = G(torch.randn(real.shape[0], z_dim))
    loss = (feats(fake).mean(0) - feats(real).detach().mean(0)).pow(2).mean()
    opt_G.zero_grad(set_to_none=True); loss.backward(); opt_G.step(); return loss.detach()

def ms_step(G, D, opt_G, real, z_dim, lam=float(__import__("os").environ.get("LAM", "1"))):
    z = torch.randn(real.shape[0], z_dim)
    fake = G(z)
    loss = bce_g(D(fake))
    half = real.shape[0] // 2
    ratio = (fake[:half] - fake[half:]).abs().flatten(1).mean(1) / (z[:half] - z[half:]).abs().mean(1)
    total = loss + lam / (ratio.mean() + 1e-5)
    opt_G.zero_grad(set_to_none=True); total.backward(); opt_G.step(); return loss.detach()
def tu_step(G, D, opt_G, real, z_dim, k=5, d_lr=float(__import__("os").environ.get("TU_LR", "0.05"))):
    """Metz et al.'s surrogate loss: G's gradient flows through k differentiable SGD updates of D."""
    from torch.func import functional_call
    params = {n: p.detach().requires_grad_(True) for n, p in D.named_parameters()}
    n = real.shape[0]
    for _ in range(k):
        fake = G(torch.randn(n, z_dim))
        loss_d = bce_d(functional_call(D, params, (real,)), functional_call(D, params, (fake,)))
        grads = torch.autograd.grad(loss_d, list(params.values()), create_graph=True)
        params = {name: p - d_lr * g for (name, p), g in zip(params.items(), grads)}
    loss = bce_g(functional_call(D, params, (G(torch.randn(n, z_dim)),)))
    opt_G.zero_grad(set_to_none=True); loss.backward(); opt_G.step(); return loss.detach()

images, _ = fashion_mnist_tensors(train=True)
ev = load_eval_classifier("cpu")
probe = torch.randn(1000, Z_DIM, generator=torch.Generator().manual_seed(2))
def coverage(G, step):
    with torch.no_grad():
        c = np.bincount(ev(G(probe)).argmax(1).numpy(), minlength=10)
    return {"classes": int((c >= 10).sum()), "kl": round(kl_to_uniform(c), 3)}
adam = lambda p: torch.optim.Adam(p, lr=2e-4, betas=(0.5, 0.999))
kind = sys.argv[1]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
seeding.seed_everything(seed)
G = make_generator(); D = make_D(kind)
batches = random_batches(images, BS, generator=torch.Generator().manual_seed(seed))
kw = dict(d_loss=bce_d, g_loss=bce_g)
if kind == "fm": kw = dict(d_loss=bce_d, g_step_fn=fm_step)
if kind == "tu": kw = dict(d_loss=bce_d, g_step_fn=tu_step)
if kind == "ms": kw = dict(d_loss=bce_d, g_step_fn=ms_step)
if kind == "smooth": kw = dict(d_loss=lambda r, f: bce_d(r, f, 0.9), g_loss=bce_g)
h = train_gan(G, D, batches, z_dim=Z_DIM, steps=STEPS, opt_G=adam(G.parameters()), opt_D=adam(D.parameters()),
              batch_size=BS, eval_fn=coverage, eval_every=STEPS // 10, show_progress=False, **kw)
print(kind, seed, f"{h.seconds:.0f}s", [(e["step"], e["classes"], e["kl"]) for e in h.evals], flush=True)
