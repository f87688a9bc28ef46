"""Plots draw what they are given; the RNN stepper reads hidden states through the student's forward."""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import torch  # noqa: E402

from course_utils import plotting, widgets  # noqa: E402


def test_plot_curves_draws_one_line_per_curve():
    ax = plotting.plot_curves({"G": [3, 2, 1], "D": [1, 1, 1]}, smooth_window=2)
    assert len(ax.lines) == 2 and ax.get_legend() is not None


def test_smooth_is_a_running_mean():
    np.testing.assert_allclose(plotting.smooth([0, 2, 4, 6], 2), [0, 1, 3, 5])


def test_image_grid_accepts_a_batch_of_images():
    ax = plotting.image_grid(torch.rand(16, 1, 28, 28) * 2 - 1, nrow=4, title="samples")
    assert ax.get_title() == "samples" and len(ax.images) == 1


def test_plot_binary_trace_has_one_row_per_signal():
    ax = plotting.plot_binary_trace({"a": [0, 1], "b": [1, 1], "c": [0, 0]})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]


def _forward(x, U, W, b_h, v, b_y, h0):
    """A plain threshold RNN written for this test (the notebook's is the student's)."""
    h, out = np.asarray(h0, float), []
    for x_t in np.asarray(x, float):
        h = (U @ x_t + W @ h + b_h > 0).astype(float)
        out.append(int(v @ h + b_y > 0))
    return np.array(out)


def test_hidden_traces_recover_each_unit():
    U = np.array([[1, 0], [0, 1], [1, 1]], float)
    traces = widgets.hidden_traces(_forward, np.array([[1, 0], [0, 1], [1, 1]]), U, np.zeros((3, 3)),
                                   np.array([-0.5, -0.5, -1.5]), np.zeros(3))
    np.testing.assert_array_equal(traces, [[1, 0, 1], [0, 1, 1], [0, 0, 1]])


def test_rnn_stepper_builds_a_widget():
    def encode(a, b):
        T = max(a.bit_length(), b.bit_length()) + 1
        bits = lambda n: [(n >> t) & 1 for t in range(T)]  # noqa: E731
        return np.array([bits(a), bits(b)]).T, np.array(bits(a + b))

    box = widgets.rnn_stepper(encode, _forward, np.ones((3, 2)), np.zeros((3, 3)), -0.5 * np.ones(3),
                              np.ones(3), -0.5, np.zeros(3), a=3, b=5)
    assert len(box.children) == 3


def test_class_sampler_draws_the_picked_class_and_resamples():
    asked = []

    def generate(label, n):
        asked.append((label, n))
        return torch.full((n, 1, 28, 28), label / 10.0)

    box = widgets.class_sampler(generate, [f"class {i}" for i in range(10)], n=4)
    picker, again = box.children[0].children
    picker.value = 7
    again.click()
    assert asked == [(0, 4), (7, 4), (7, 4)]


def test_interpolate_walks_the_straight_line_between_two_codes():
    encode = lambda x: x.flatten(1)[:, :2] * 10  # noqa: E731  (a stand-in encoder: two numbers per image)
    decode = lambda z: z.view(-1, 2, 1, 1)  # noqa: E731
    a, b = torch.zeros(1, 2, 2), torch.ones(1, 2, 2)
    path = widgets.interpolate(encode, decode, a, b, steps=5)
    assert path.shape == (5, 2, 1, 1)
    assert torch.allclose(path[:, 0, 0, 0], torch.tensor([0.0, 2.5, 5.0, 7.5, 10.0]))


def test_latent_explorer_redraws_when_a_slider_moves():
    calls = []

    def encode(x):
        calls.append(len(x))
        return x.flatten(1)[:, :4]

    images = torch.rand(6, 1, 28, 28)
    box = widgets.latent_explorer(encode, lambda z: z.sum(1).view(-1, 1, 1, 1).expand(-1, 1, 28, 28), images, steps=5)
    first, second, where = box.children[0].children
    before = len(calls)
    where.value = 0.25
    second.value = 5
    assert len(calls) > before, "moving a slider re-encodes and redraws"
    assert (first.max, second.value) == (5, 5)


def test_image_grid_names_its_rows_and_confusion_plot_labels_its_axes():
    import pytest
    ax = plotting.image_grid(torch.rand(6, 1, 28, 28), nrow=3, row_labels=["T-shirt", "Bag"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["T-shirt", "Bag"]
    centers = ax.get_yticks()
    assert centers[1] - centers[0] == 30, "rows are 28 pixels plus 2 of padding apart"
    with pytest.raises(ValueError, match="2 rows need 2 labels"):
        plotting.image_grid(torch.rand(6, 1, 28, 28), nrow=3, row_labels=["one"])
    ax = plotting.plot_confusion(np.array([[3, 1], [0, 4]]), ["a", "b"], xlabel="recognised", ylabel="requested")
    assert ax.get_xlabel() == "recognised" and [t.get_text() for t in ax.texts] == ["75", "25", "100"]
