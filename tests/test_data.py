"""Data loaders read the real data sets from the data root, and fail clearly (and fast) without them."""

import time

import pytest
import torch

from course_utils import data
from course_utils.data import imdb as imdb_module


@pytest.mark.data
def test_fashion_mnist_from_the_data_root(data_root):
    train, test = data.fashion_mnist(train=True), data.fashion_mnist(train=False)
    assert (len(train), len(test)) == (60_000, 10_000)
    image, label = test[0]
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert -1.0 <= float(image.min()) and float(image.max()) <= 1.0
    assert 0 <= label < 10 and len(data.FASHION_MNIST_CLASSES) == 10


@pytest.mark.data
def test_imdb_reviews_are_balanced_and_labelled(data_root):
    texts, labels = data.imdb_reviews("test", limit=10)
    assert len(texts) == 10 and labels == [1, 0] * 5
    assert all(isinstance(t, str) and len(t) > 20 for t in texts)


@pytest.mark.data
@pytest.mark.slow
def test_imdb_full_splits_have_25k_reviews_each(data_root):
    for split in ("train", "test"):
        texts, labels = data.imdb_reviews(split)
        assert len(texts) == 25_000 and sum(labels) == 12_500


def test_missing_fashion_mnist_without_download_names_the_files(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(data.DataUnavailable, match="(?s)train-images-idx3-ubyte.*COURSE_DATA_DIR"):
        data.fashion_mnist(download=False)


def test_offline_download_failure_is_a_clear_error_not_a_hang(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    calls = []

    def offline(url, download_root, md5):
        calls.append((url, md5))
        raise OSError("Network is unreachable")

    import torchvision.datasets.utils as tv_utils

    monkeypatch.setattr(tv_utils, "download_and_extract_archive", offline)
    start = time.monotonic()
    with pytest.raises(data.DataUnavailable, match="(?s)aclImdb_v1.tar.gz.*Network is unreachable"):
        data.imdb_reviews("train")
    assert time.monotonic() - start < 5
    assert calls == [(imdb_module.IMDB_URL, imdb_module.IMDB_ARCHIVE_MD5)], "the official archive, checksum-verified"


def test_imdb_rejects_unknown_split():
    with pytest.raises(ValueError, match="split must be"):
        data.imdb_reviews("validation")
