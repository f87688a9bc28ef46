"""The shipped evaluation classifier: its recorded accuracy holds on the real test set, and the scores
built on it separate real images from noise and from a collapsed sample."""

import pytest
import torch

from course_utils.data import fashion_mnist_tensors
from course_utils.evaluation import load_eval_classifier, weights_info
from course_utils.metrics import classifier_features, classifier_probs, frechet_distance, inception_score


def test_weights_ship_with_their_measured_accuracy():
    info = weights_info()
    assert info["test_accuracy"] >= 0.92 and info["test_images"] == 10_000
    assert "train_classifier" in info["command"]
    model = load_eval_classifier()
    assert not model.training and not any(p.requires_grad for p in model.parameters())


@pytest.fixture(scope="module")
def real_test_set():
    from conftest import real_data_root

    root = real_data_root()
    if root is None:
        pytest.skip("no data root with Fashion-MNIST (set COURSE_DATA_DIR)")
    import os

    old = os.environ.get("COURSE_DATA_DIR")
    os.environ["COURSE_DATA_DIR"] = str(root)
    try:
        images, labels = fashion_mnist_tensors(train=False)
    finally:
        if old is None:
            os.environ.pop("COURSE_DATA_DIR")
        else:
            os.environ["COURSE_DATA_DIR"] = old
    return images, labels, load_eval_classifier()


@pytest.mark.data
def test_accuracy_on_the_real_test_set_matches_the_record(real_test_set):
    images, labels, model = real_test_set
    accuracy = float((classifier_probs(model, images).argmax(1) == labels).float().mean())
    assert accuracy >= 0.92, f"test accuracy {accuracy:.4f} < 0.92"
    assert accuracy == pytest.approx(weights_info()["test_accuracy"], abs=2e-3)


@pytest.mark.data
def test_scores_separate_real_images_from_noise_and_collapse(real_test_set):
    images, labels, model = real_test_set
    probs = classifier_probs(model, images)
    assert inception_score(probs) > 8.0, "real test images should score near the maximum IS of 10"
    feats = classifier_features(model, images)
    half = len(images) // 2
    fd_halves = frechet_distance(feats[:half], feats[half:])
    noise = torch.rand(half, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    fd_noise = frechet_distance(classifier_features(model, noise), feats[half:])
    one_class = images[labels == 7][:1000]  # sneakers only
    fd_one_class = frechet_distance(classifier_features(model, one_class), feats[half:])
    assert inception_score(classifier_probs(model, one_class)) < 1.5
    assert fd_halves < 0.05 * min(fd_noise, fd_one_class), (fd_halves, fd_noise, fd_one_class)
