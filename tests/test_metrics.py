"""Metrics on known inputs: closed forms for the scores, exact answers for the mixture report."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_utils.metrics import frechet_distance, inception_score, kl_to_uniform, label_counts, mixture_quality

CENTERS = ((5, 5), (10, 5), (5, 10), (10, 10))


def test_inception_score_bounds():
    assert inception_score(torch.full((100, 10), 0.1)) == pytest.approx(1.0)
    one_hot = torch.eye(10).repeat(10, 1)  # every class equally often, each image certain
    assert inception_score(one_hot) == pytest.approx(10.0, rel=1e-6)
    collapsed = torch.zeros(50, 10)
    collapsed[:, 3] = 1  # certain, but always the same class
    assert inception_score(collapsed) == pytest.approx(1.0)


def test_frechet_distance_closed_forms():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20000, 3, generator=g, dtype=torch.float64)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    shift = torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64)
    assert frechet_distance(a, a + shift) == pytest.approx(5.0, rel=1e-6)
    # N(0, I) vs N(0, 4 I) in 3-D: sum (sqrt(1) - sqrt(4))^2 = 3
    b = 2 * torch.randn(20000, 3, generator=g, dtype=torch.float64)
    assert frechet_distance(a, b) == pytest.approx(3.0, rel=0.05)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-6)


def test_label_counts_and_kl_to_uniform():
    np.testing.assert_array_equal(label_counts(torch.tensor([0, 0, 3, 9]), 10), [2, 0, 0, 1, 0, 0, 0, 0, 0, 1])
    assert kl_to_uniform(np.full(10, 7)) == pytest.approx(0.0)
    assert kl_to_uniform(np.eye(10)[4] * 30) == pytest.approx(math.log(10))


def test_mixture_quality_on_exact_and_collapsed_samples():
    exact = torch.tensor(CENTERS, dtype=torch.float32).repeat(250, 1)
    report = mixture_quality(exact, CENTERS)
    assert (report.modes_covered, report.high_quality_share, report.tight_share) == (4, 1.0, 1.0)
    collapsed = torch.tensor([[10.0, 10.0]]).repeat(1000, 1)
    assert mixture_quality(collapsed, CENTERS).modes_covered == 1
    far = torch.tensor([[50.0, 50.0]]).repeat(100, 1)
    far_report = mixture_quality(far, CENTERS)
    assert (far_report.modes_covered, far_report.high_quality_share) == (0, 0.0)


def test_mixture_quality_of_real_samples_matches_the_gaussian():
    g = torch.Generator().manual_seed(0)
    centers = torch.tensor(CENTERS, dtype=torch.float32)
    x = centers[torch.randint(4, (40000,), generator=g)] + torch.randn(40000, 2, generator=g)
    report = mixture_quality(x, CENTERS)
    assert report.modes_covered == 4
    # within 1 std of the nearest centre: about 1 - exp(-1/2) for well separated modes
    assert report.tight_share == pytest.approx(1 - math.exp(-0.5), abs=0.02)


def test_confusion_matrix_counts_true_rows_against_predicted_columns():
    from course_utils.metrics import confusion_matrix
    m = confusion_matrix(torch.tensor([0, 0, 1, 2, 2, 2]), torch.tensor([0, 1, 1, 2, 0, 2]), 3)
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert m.sum() == 6 and np.trace(m) == 4
    with pytest.raises(ValueError, match="2 true labels but 3"):
        confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 1, 1]), 3)


def test_mixture_share_between_modes_is_exp_minus_two_for_real_data_and_high_for_a_frame():
    """Farther than 2 std from every centre: exp(-2) = 13.5 % of a 2-D Gaussian's mass; points on the square through
    the four centres (a 'frame', what a GAN on this mixture often draws) lie mostly between the modes."""
    import math

    import torch

    from course_utils.metrics import mixture_quality

    centers = torch.tensor([[5.0, 5.0], [10.0, 5.0], [5.0, 10.0], [10.0, 10.0]])
    g = torch.Generator().manual_seed(0)
    real = centers[torch.randint(0, 4, (40_000,), generator=g)] + torch.randn(40_000, 2, generator=g)
    assert abs(mixture_quality(real, centers).between_share - math.exp(-2)) < 0.01
    t = torch.rand(4000, generator=g) * 5
    frame = torch.cat([torch.stack([5 + t, torch.full_like(t, c)], 1) for c in (5.0, 10.0)]
                      + [torch.stack([torch.full_like(t, c), 5 + t], 1) for c in (5.0, 10.0)])
    report = mixture_quality(frame, centers)
    assert report.modes_covered == 4 and report.between_share > 0.15


# ------------------------------------------------------------------ coverage during training (notebook 05)

def test_classes_covered_counts_classes_with_at_least_the_given_share():
    from course_utils.metrics import classes_covered

    assert classes_covered(np.array([100, 1, 0, 5])) == 2  # 1 of 106 is under 1 %, 5 of 106 over
    assert classes_covered(np.array([1, 1, 98]), share=0.01) == 3  # exactly 1 % counts
    assert classes_covered(np.full(10, 7)) == 10


def test_nearest_distance_is_the_mean_distance_to_the_closest_reference_image():
    from course_utils.metrics import nearest_distance

    gen = torch.Generator().manual_seed(0)
    reference_set = torch.rand(30, 1, 4, 4, generator=gen)
    images = torch.rand(7, 1, 4, 4, generator=gen)
    brute = np.mean([min(float(((a - b) ** 2).sum().sqrt()) for b in reference_set) for a in images])
    assert abs(nearest_distance(images, reference_set, chunk=3) - brute) < 1e-5
    assert nearest_distance(reference_set[:5], reference_set) < 1e-3  # copies of training images sit on them


def test_coverage_probe_reports_classes_kl_frechet_distance_and_d_gap_and_restores_modes():
    from course_utils.metrics import coverage_probe

    class Judge(nn.Module):  # class = 0 for dark images, 1 for bright ones; features = the mean pixel and its square
        def __init__(self):
            super().__init__()
            self.unused = nn.Parameter(torch.zeros(1))  # a model has parameters (they say which device it is on)

        def forward(self, x):
            m = x.flatten(1).mean(1)
            logits = torch.full((len(x), 10), -9.0)
            logits[:, 0], logits[:, 1] = -m, m
            return logits

        def features(self, x):
            m = x.flatten(1).mean(1, keepdim=True)
            return torch.cat([m, m ** 2], 1)

    G = nn.Sequential(nn.Linear(2, 16), nn.BatchNorm1d(16), nn.Linear(16, 16), nn.Unflatten(1, (1, 4, 4)))
    D = nn.Sequential(nn.Flatten(), nn.Linear(16, 1))
    with torch.no_grad():
        D[1].weight.fill_(1.0 / 16), D[1].bias.zero_()
    noise = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    seen, unseen = torch.ones(8, 1, 4, 4), -torch.ones(8, 1, 4, 4)
    G.train(), D.train()
    probe = coverage_probe(G, D, Judge(), noise, Judge().features(torch.randn(64, 1, 4, 4)), seen, unseen)
    out = probe(G, 0)
    assert set(out) == {"classes", "kl", "fd", "d_gap"}, out
    assert abs(out["d_gap"] - (torch.sigmoid(torch.tensor(1.0)) - torch.sigmoid(torch.tensor(-1.0))).item()) < 1e-6
    assert 1 <= out["classes"] <= 2 and out["kl"] >= np.log(10) - np.log(2) - 1e-9  # two classes at most
    assert G.training and D.training, "the probe must put G and D back in training mode"
