"""The 2-D toy sets, paired critic batches, fit's after_step hook and the critic diagnostics of notebook 08."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

from course_utils.data import TOY_DATASETS, PairedBatches, eight_gaussians, swiss_roll, twentyfive_gaussians
from course_utils.metrics import activation_gradient_norms, value_grid
from course_utils.plotting import plot_value_surface
from course_utils.training import fit


def test_eight_gaussians_lie_on_a_circle_of_radius_2_over_1414():
    x = eight_gaussians(4000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (4000, 2) and x.dtype == torch.float32
    radius = x.norm(dim=1)
    assert float((radius - 2 / 1.414).abs().max()) < 0.1
    angles = torch.atan2(x[:, 1], x[:, 0]) / (2 * math.pi / 8)
    modes = angles.round().remainder(8).long()
    assert float((angles - angles.round()).abs().max()) < 0.05, "every point sits next to one of 8 angles"
    assert torch.bincount(modes, minlength=8).min() > 400, "all 8 modes drawn about equally often"


def test_twentyfive_gaussians_cover_a_5_by_5_grid():
    x = twentyfive_gaussians(5000, generator=torch.Generator().manual_seed(1)) * 2.828 / 2
    cells = x.round()
    assert float((x - cells).abs().max()) < 0.2
    assert {tuple(c) for c in cells.long().tolist()} == {(i, j) for i in range(-2, 3) for j in range(-2, 3)}


def test_swiss_roll_matches_scikit_learns_construction():
    g = torch.Generator().manual_seed(2)
    x = swiss_roll(3000, generator=g, noise=0.0) * 7.5
    t = x.norm(dim=1)  # without noise each point is (t cos t, t sin t): its radius is t
    assert float(t.min()) >= 1.5 * math.pi - 1e-4 and float(t.max()) <= 4.5 * math.pi + 1e-4
    expected = torch.stack([t * t.cos(), t * t.sin()], dim=1)
    assert torch.allclose(x, expected, atol=1e-3)


def test_samplers_are_reproducible_with_a_generator():
    for sample in TOY_DATASETS.values():
        a = sample(10, generator=torch.Generator().manual_seed(3))
        b = sample(10, generator=torch.Generator().manual_seed(3))
        assert torch.equal(a, b)


def test_paired_batches_give_steps_pairs_of_data_and_data_plus_noise():
    batches = PairedBatches(eight_gaussians, batch_size=32, steps=5, seed=4)
    pairs = list(batches)
    assert len(batches) == 5 and len(pairs) == 5
    real, fake = pairs[0]
    assert real.shape == fake.shape == (32, 2)
    noise = torch.cat([f - r for r, f in pairs])
    assert abs(float(noise.std()) - 1.0) < 0.15, "the default fake batch is the real one plus N(0, 1) noise"
    again = list(PairedBatches(eight_gaussians, batch_size=32, steps=5, seed=4))
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(pairs, again))
    assert not torch.equal(pairs[0][0], pairs[1][0]), "each step draws a fresh batch"
    with pytest.raises(ValueError, match="steps >= 1"):
        PairedBatches(eight_gaussians, batch_size=32, steps=0)


def test_fit_runs_after_step_once_after_every_optimiser_step():
    torch.manual_seed(0)
    model = nn.Linear(2, 1)
    calls = []

    def clip(m):
        calls.append(float(m.weight.detach().abs().max()))
        with torch.no_grad():
            for p in m.parameters():
                p.clamp_(-0.01, 0.01)

    loss = lambda m, batch: -m(batch[0]).mean() + m(batch[1]).mean()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    fit(model, PairedBatches(eight_gaussians, 16, 7, seed=0), loss, opt, epochs=2, after_step=clip, show_progress=False)
    assert len(calls) == 14
    assert all(float(p.detach().abs().max()) <= 0.01 for p in model.parameters())
    assert max(calls) > 0.01, "after_step sees the weights the optimiser step produced"


def test_activation_gradient_norms_match_a_hand_computed_chain_rule():
    # loss = mean(W2 relu(W1 x + b1) + b2) over a batch: d loss / d out2 = 1/B, d loss / d out1 = (1/B) W2 * [out1 > 0]
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    x = torch.randn(10, 3)
    norms = activation_gradient_norms(net, lambda m: m(x).mean())
    out1 = net[0](x)
    d_out2 = torch.full((10, 1), 1 / 10)
    d_out1 = (d_out2 @ net[2].weight * (out1 > 0)).detach()
    assert norms == pytest.approx([float(d_out1.norm()), float(d_out2.norm())], rel=1e-6)
    assert all(p.grad is None for p in net.parameters()), "measuring must not leave gradients on the parameters"


def test_activation_gradient_norms_add_up_over_several_calls():
    net = nn.Sequential(nn.Linear(2, 1))
    a, b = torch.randn(5, 2), torch.randn(7, 2)
    norms = activation_gradient_norms(net, lambda m: m(a).mean() - m(b).mean())
    assert norms == pytest.approx([math.sqrt(5 / 25 + 7 / 49)])
    with pytest.raises(ValueError, match="no layer"):
        activation_gradient_norms(nn.ReLU(), lambda m: torch.zeros(()))


def test_value_grid_evaluates_the_critic_at_every_grid_point():
    critic = nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[1.0, 10.0]]))
        critic.bias.zero_()
    xs, ys, values = value_grid(critic, extent=2.0, n=5)
    assert values.shape == (5, 5)
    assert torch.allclose(values, xs + 10 * ys)
    assert float(xs.min()) == -2.0 and float(ys.max()) == 2.0
    assert float(values[-1, 0]) == pytest.approx(-2 + 20), "rows go along y, columns along x"


def test_plot_value_surface_draws_contours_the_data_and_a_colour_bar():
    critic = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    ax = plot_value_surface(critic, eight_gaussians(50), title="a critic", n=20)
    assert ax.get_title() == "a critic" and ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.figure.axes) == 2, "the surface comes with a colour bar"
    assert len(ax.collections) >= 2
    plt.close(ax.figure)
