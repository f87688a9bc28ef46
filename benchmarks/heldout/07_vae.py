"""Held-out answers for notebook 07, written on 2026-12-07 from the notebook's text alone, before any change to its
grade cells (issue 50). Methods are replaced on the solution's VAE class (``VAE.encode = ...``), networks and the
loss are redefined. See benchmarks/heldout/01_binary_rnn.py."""

ANSWERS = [
    # ---------------------------------------------------------------- correct, written another way
    ("correct", "three-convs-groupnorm-and-mirror", "Part 1 (at most a factor of 4; any norm)", """
class EncoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels, width=16):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, stride=1, padding=1), nn.GroupNorm(4, width), nn.ReLU(),
            nn.Conv2d(width, width, 4, stride=2, padding=1), nn.GroupNorm(4, width), nn.ReLU(),
            nn.Conv2d(width, out_channels, 4, stride=2, padding=1), nn.ReLU())
    def forward(self, x):
        return self.body(x)


class DecoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels, width=16):
        super().__init__()
        self.body = nn.Sequential(
            nn.ConvTranspose2d(in_channels, width, 4, stride=2, padding=1), nn.GroupNorm(4, width), nn.ReLU(),
            nn.ConvTranspose2d(width, width, 4, stride=2, padding=1), nn.GroupNorm(4, width), nn.ReLU(),
            nn.Conv2d(width, out_channels, 3, padding=1))
    def forward(self, h):
        return self.body(h)
"""),
    ("correct", "spectral-norm-encoder-upsampling-decoder", "Part 1 (a mirror in shape: upsample + conv)", """
class EncoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.c1, self.c2 = sn(nn.Conv2d(in_channels, 32, 4, 2, 1)), sn(nn.Conv2d(32, out_channels, 4, 2, 1))
    def forward(self, x):
        return F.leaky_relu(self.c2(F.leaky_relu(self.c1(x), 0.2)), 0.2)


class DecoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(in_channels, 32, 3, padding=1), nn.Conv2d(32, out_channels, 3, padding=1)
    def forward(self, h):
        h = F.leaky_relu(self.c1(F.interpolate(h, scale_factor=2, mode="nearest")), 0.2)
        return self.c2(F.interpolate(h, scale_factor=2, mode="nearest"))
"""),
    ("correct", "encode-with-torch-distributions", "Part 2 (reparameterised draw: rsample)", """
def _encode(self, x):
    h = self.features_encoder(x).reshape(len(x), -1)
    mu, log_sigma2 = self.to_mu(h), self.to_log_sigma2(h)
    z = torch.distributions.Normal(mu, torch.exp(log_sigma2 / 2)).rsample()
    return z, mu, log_sigma2
VAE.encode = _encode
"""),
    ("correct", "decode-with-unflatten-and-sample-in-inference-mode", "Part 2", """
def _decode(self, z):
    h = nn.functional.linear(z, self.from_z.weight, self.from_z.bias).unflatten(1, self.features_shape)
    return self.features_decoder(h).tanh()

def _sample(self, n):
    with torch.inference_mode():
        return self.decode(torch.randn(n, self.z_dim, device=next(self.parameters()).device)).clone()
VAE.decode, VAE.sample = _decode, _sample
"""),
    ("correct", "loss-with-mse-and-kl-written-out", "Part 3", """
def vae_loss(x, xr, z_mu, z_log_sigma2, x_sigma2):
    per_pixel = F.mse_loss(xr, x, reduction="none").reshape(len(x), -1)
    data_loss = (per_pixel.mean(dim=1) / x_sigma2).mean()
    var = torch.exp(z_log_sigma2)
    kldiv_loss = torch.mean(torch.sum(var + z_mu ** 2 - 1 - z_log_sigma2, dim=1))
    return data_loss + kldiv_loss, data_loss, kldiv_loss
"""),
    # ---------------------------------------------------------------- wrong, each breaks one sentence
    ("wrong", "encoder-shrinks-by-eight", "It may shrink the image by at most a factor of 4", """
class EncoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(in_channels, 32, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(32, 32, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(32, out_channels, 4, 2, 1), nn.LeakyReLU(0.2))
    def forward(self, x):
        return self.net(x)


class DecoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.net = nn.Sequential(nn.ConvTranspose2d(in_channels, 32, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.ConvTranspose2d(32, 32, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.ConvTranspose2d(32, out_channels, 4, 2, 1))
    def forward(self, h):
        return self.net(h)
"""),
    ("wrong", "decoder-ends-with-an-activation", "Do not end it with an activation", """
class DecoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.net = nn.Sequential(nn.ConvTranspose2d(in_channels, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.LeakyReLU(0.2),
                                 nn.ConvTranspose2d(32, out_channels, 4, 2, 1), nn.LeakyReLU(0.2))
    def forward(self, h):
        return self.net(h)
"""),
    ("wrong", "sigma-is-the-variance", "z = mu + sigma * eps", """
def _encode(self, x):
    h = self.features_encoder(x).flatten(1)
    mu, log_sigma2 = self.to_mu(h), self.to_log_sigma2(h)
    return mu + torch.exp(log_sigma2) * torch.randn_like(mu), mu, log_sigma2
VAE.encode = _encode
"""),
    ("wrong", "no-sampling-in-evaluation-mode", "encode always samples, in training and in evaluation mode", """
def _encode(self, x):
    h = self.features_encoder(x).flatten(1)
    mu, log_sigma2 = self.to_mu(h), self.to_log_sigma2(h)
    z = mu + torch.exp(0.5 * log_sigma2) * torch.randn_like(mu) if self.training else mu
    return z, mu, log_sigma2
VAE.encode = _encode
"""),
    ("wrong", "one-eps-per-batch", "eps drawn fresh for every entry", """
def _encode(self, x):
    h = self.features_encoder(x).flatten(1)
    mu, log_sigma2 = self.to_mu(h), self.to_log_sigma2(h)
    return mu + torch.exp(0.5 * log_sigma2) * torch.randn(1, mu.shape[1]), mu, log_sigma2
VAE.encode = _encode
"""),
    ("wrong", "returns-recomputed-mu", "Return the very mu and log_sigma2 tensors that z was computed from", """
def _encode(self, x):
    h = self.features_encoder(x).flatten(1)
    z = self.to_mu(h) + torch.exp(0.5 * self.to_log_sigma2(h)) * torch.randn(len(x), self.z_dim)
    return z, self.to_mu(h.detach()), self.to_log_sigma2(h.detach())
VAE.encode = _encode
"""),
    ("wrong", "prior-is-uniform", "decoded from draws of the prior N(0, I)", """
def _sample(self, n):
    with torch.no_grad():
        return self.decode(torch.rand(n, self.z_dim) * 2 - 1)
VAE.sample = _sample
"""),
    ("wrong", "data-term-without-d_x", "||x - x_r||^2 / (sigma_x^2 d_x)", """
def vae_loss(x, xr, z_mu, z_log_sigma2, x_sigma2):
    data_loss = ((x - xr) ** 2).flatten(1).sum(1).div(x_sigma2).mean()
    kl = (z_log_sigma2.exp() + z_mu ** 2 - 1 - z_log_sigma2).sum(1).mean()
    return data_loss + kl, data_loss, kl
"""),
    ("wrong", "kl-summed-over-the-batch", "data_loss and kldiv_loss are the batch means of the two terms", """
def vae_loss(x, xr, z_mu, z_log_sigma2, x_sigma2):
    data_loss = ((x - xr) ** 2).flatten(1).mean(1).div(x_sigma2).mean()
    kl = (z_log_sigma2.exp() + z_mu ** 2 - 1 - z_log_sigma2).sum()
    return data_loss + kl, data_loss, kl
"""),
    ("wrong", "parts-as-python-floats", "all three scalar (0-dimensional) tensors that back-propagate", """
def vae_loss(x, xr, z_mu, z_log_sigma2, x_sigma2):
    data_loss = ((x - xr) ** 2).flatten(1).mean(1).div(x_sigma2).mean()
    kl = (z_log_sigma2.exp() + z_mu ** 2 - 1 - z_log_sigma2).sum(1).mean()
    return data_loss + kl, data_loss.item(), kl.item()
"""),
    ("wrong", "forward-returns-z", "forward(x) -> (x_rec, mu, log_sigma2)", """
def _forward(self, x):
    z, mu, log_sigma2 = self.encode(x)
    return self.decode(z), z, log_sigma2
VAE.forward = _forward
"""),
]
