"""Notebook 07, sentence by sentence (issue 50); the layout is tests/grade_cell_sentences/01_binary_rnn.py's.
Methods are replaced on the solution's VAE class; networks and the loss are redefined."""

_NETS = '''
class EncoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(in_channels, hidden, 4, stride={s1}, padding=1), nn.BatchNorm2d(hidden),
                                 nn.LeakyReLU(0.2), nn.Conv2d(hidden, out_channels, 4, stride=2, padding=1),
                                 nn.BatchNorm2d(out_channels), nn.LeakyReLU(0.2){enc_extra})
    def forward(self, x):
        return self.net(x)


class DecoderCNN(nn.Module):
    def __init__(self, in_channels, out_channels, hidden=32):
        super().__init__()
        self.net = nn.Sequential({dec_extra}nn.ConvTranspose2d(in_channels, hidden, 4, stride=2, padding=1),
                                 nn.BatchNorm2d(hidden), nn.LeakyReLU(0.2),
                                 nn.ConvTranspose2d(hidden, out_channels, 4, stride={s1}, padding=1){dec_end})
    def forward(self, h):
        return self.net(h)
'''


def _nets(s1="2", enc_extra="", dec_extra="", dec_end=""):
    return _NETS.format(s1=s1, enc_extra=enc_extra, dec_extra=dec_extra, dec_end=dec_end)


_ENCODE = '''
def _encode(self, x):
    h = self.features_encoder(x).flatten(start_dim=1)
    mu, log_sigma2 = self.to_mu(h), self.to_log_sigma2(h)
    z = {z}
    return {ret}
VAE.encode = _encode
'''


def _encode(z="mu + torch.exp(0.5 * log_sigma2) * torch.randn_like(mu)", ret="z, mu, log_sigma2"):
    return _ENCODE.format(z=z, ret=ret)


_LOSS = '''
def vae_loss(x, xr, z_mu, z_log_sigma2, x_sigma2):
    d_x = x[0].numel()
    data = {data}
    kl = {kl}
    data_loss, kldiv_loss = {reduce}
    return {ret}
'''
_DATA = "(x - xr).pow(2).flatten(start_dim=1).sum(dim=1) / (x_sigma2 * d_x)"
_KL = "(z_log_sigma2.exp() + z_mu.pow(2) - 1 - z_log_sigma2).sum(dim=1)"


def _loss(data=_DATA, kl=_KL, reduce="data.mean(), kl.mean()", ret="data_loss + kldiv_loss, data_loss, kldiv_loss"):
    return _LOSS.format(data=data, kl=kl, reduce=reduce, ret=ret)


SENTENCES = [
    ("encoder-shrinks-by-eight", "It may shrink the image by at most a factor of 4", "test_cnn_features",
     _nets(enc_extra=", nn.Conv2d(out_channels, out_channels, 4, stride=2, padding=1)",
           dec_extra="nn.ConvTranspose2d(in_channels, in_channels, 4, stride=2, padding=1), ")),
    ("decoder-not-the-mirror", "For every H and W that are multiples of 4, DecoderCNN(c, 1)(EncoderCNN(1, c)(x)) must "
     "have the shape of x", "test_cnn_features",
     _nets().replace("nn.ConvTranspose2d(hidden, out_channels, 4, stride=2, padding=1)",
                     "nn.ConvTranspose2d(hidden, out_channels, 3, stride=2, padding=1)")),
    ("decoder-ends-in-leaky-relu", "Do not end it with an activation: the VAE puts a tanh on top",
     "test_cnn_features", _nets(dec_end=", nn.LeakyReLU(0.2)")),
    ("decoder-ends-in-tanh", "Do not end it with an activation", "test_cnn_features", _nets(dec_end=", nn.Tanh()")),
    ("sigma-is-the-variance", "z = mu + sigma * eps", "test_vae_encode",
     _encode(z="mu + torch.exp(log_sigma2) * torch.randn_like(mu)")),
    ("no-reparameterisation", "so that gradients flow into mu and log sigma^2", "test_vae_encode",
     _encode(z="(mu + torch.exp(0.5 * log_sigma2) * torch.randn_like(mu)).detach()")),
    ("one-eps-per-batch", "eps ~ N(0, I) drawn fresh for every entry", "test_vae_encode",
     _encode(z="mu + torch.exp(0.5 * log_sigma2) * torch.randn(1, mu.shape[1])")),
    ("uniform-eps", "eps ~ N(0, I)", "test_vae_encode",
     _encode(z="mu + torch.exp(0.5 * log_sigma2) * (torch.rand_like(mu) * 2 - 1) * 3 ** 0.5")),
    ("not-the-very-tensors", "Return the very mu and log_sigma2 tensors that z was computed from", "test_vae_encode",
     _encode(ret="z, mu.detach().clone().requires_grad_(), log_sigma2")),
    ("no-sampling-in-eval", "encode always samples, in training and in evaluation mode", "test_vae_encode",
     _encode(z="mu + torch.exp(0.5 * log_sigma2) * torch.randn_like(mu) if self.training else mu")),
    ("decode-without-tanh", "the decoder network, and a tanh: images (B, C, H, W) in [-1, 1]",
     "test_vae_decode_sample_forward", '''
def _decode(self, z):
    return self.features_decoder(self.from_z(z).view(-1, *self.features_shape))
VAE.decode = _decode
'''),
    ("sample-with-gradients", "sample(n): n new images ... without gradients", "test_vae_decode_sample_forward", '''
def _sample(self, n):
    return self.decode(torch.randn(n, self.z_dim, device=next(self.parameters()).device))
VAE.sample = _sample
'''),
    ("sample-from-a-uniform-prior", "decoded from draws of the prior N(0, I)", "test_vae_decode_sample_forward", '''
def _sample(self, n):
    with torch.no_grad():
        return self.decode(torch.rand(n, self.z_dim, device=next(self.parameters()).device) * 2 - 1)
VAE.sample = _sample
'''),
    ("forward-returns-z", "forward(x) -> (x_rec, mu, log_sigma2)", "test_vae_decode_sample_forward", '''
def _forward(self, x):
    z, mu, log_sigma2 = self.encode(x)
    return self.decode(z), z, log_sigma2
VAE.forward = _forward
'''),
    ("forward-decodes-mu", "forward: encode, then decode the sampled z", "test_vae_decode_sample_forward", '''
def _forward(self, x):
    z, mu, log_sigma2 = self.encode(x)
    return self.decode(mu), mu, log_sigma2
VAE.forward = _forward
'''),
    ("data-term-without-d_x", "||x - x_r||^2 / (sigma_x^2 d_x)", "test_vae_loss",
     _loss(data="(x - xr).pow(2).flatten(start_dim=1).sum(dim=1) / x_sigma2")),
    ("data-term-times-sigma2", "||x - x_r||^2 / (sigma_x^2 d_x)", "test_vae_loss",
     _loss(data="(x - xr).pow(2).flatten(start_dim=1).sum(dim=1) * x_sigma2 / d_x")),
    ("kl-halved", "this is twice KL(q(z|x) || N(0, I)); use it exactly as written", "test_vae_loss", _loss(kl=f"0.5 * {_KL}")),
    ("kl-with-sigma-not-variance", "tr Sigma, Sigma = diag(exp(log sigma^2))", "test_vae_loss",
     _loss(kl="(z_log_sigma2.mul(0.5).exp() + z_mu.pow(2) - 1 - z_log_sigma2).sum(dim=1)")),
    ("kl-summed-over-the-batch", "data_loss and kldiv_loss are the batch means of the two terms", "test_vae_loss",
     _loss(reduce="data.mean(), kl.sum()")),
    ("loss-not-the-sum", "loss = data_loss + kldiv_loss", "test_vae_loss",
     _loss(ret="data_loss + 0.5 * kldiv_loss, data_loss, kldiv_loss")),
    ("parts-as-floats", "all three scalar (0-dimensional) tensors that back-propagate", "test_vae_loss",
     _loss(ret="data_loss + kldiv_loss, data_loss.item(), kldiv_loss.item()")),
]

ALTERNATIVES = [
    ("three-convs-groupnorm", "at most a factor of 4, any norm and activation", '''
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
'''),
    ("spectral-norm-and-upsampling", "parametrized convolutions; a mirror in shape (upsample + conv)", '''
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
'''),
    ("encode-with-torch-distributions", "the reparameterisation trick as torch.distributions' rsample", '''
def _encode(self, x):
    h = self.features_encoder(x).reshape(len(x), -1)
    mu, log_sigma2 = self.to_mu(h), self.to_log_sigma2(h)
    return torch.distributions.Normal(mu, torch.exp(log_sigma2 / 2)).rsample(), mu, log_sigma2
VAE.encode = _encode
'''),
    ("decode-functional-and-inference-mode-sample", "no gradients by inference_mode; a functional linear layer", '''
def _decode(self, z):
    h = F.linear(z, self.from_z.weight, self.from_z.bias).unflatten(1, self.features_shape)
    return self.features_decoder(h).tanh()

def _sample(self, n):
    with torch.inference_mode():
        return self.decode(torch.randn(n, self.z_dim, device=next(self.parameters()).device)).clone()
VAE.decode, VAE.sample = _decode, _sample
'''),
    ("loss-mse-float64-internals", "any way to the batch means (here F.mse_loss and float64 inside)", '''
def vae_loss(x, xr, z_mu, z_log_sigma2, x_sigma2):
    data = F.mse_loss(xr.double(), x.double(), reduction="none").reshape(len(x), -1).mean(dim=1) / x_sigma2
    ls2 = z_log_sigma2.double()
    kl = torch.sum(ls2.exp() + z_mu.double() ** 2 - 1 - ls2, dim=1)
    data_loss, kldiv_loss = data.mean().to(x.dtype), kl.mean().to(x.dtype)
    return data_loss + kldiv_loss, data_loss, kldiv_loss
'''),
]

UNTESTED = [
    ("Suggested: encoder Conv2d(k=4, stride=2, padding=1) twice ... with BatchNorm2d and LeakyReLU(0.2)",
     "a suggestion; other designs are valid (see ALTERNATIVES)"),
    ("The given _feature_shape finds the feature-map shape", "given code"),
    ("Part 4, the written answers", "graded by hand in the formgrader"),
]
