"""Fashion-MNIST through ``torchvision.datasets.FashionMNIST``.

torchvision looks for ``<data root>/FashionMNIST/raw/*-ubyte`` and downloads (md5-checked) what is
missing. Images come out as tensors in [-1, 1] (the range a tanh generator produces), shape (1, 28, 28).
"""

from __future__ import annotations

from .. import paths
from .errors import DataUnavailable, network_timeout

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


def fashion_mnist(train: bool = True, download: bool = True, normalize: bool = True):
    """The Fashion-MNIST training (60,000) or test (10,000) set as a torchvision dataset."""
    from torchvision import datasets, transforms

    root = paths.data_root()
    steps = [transforms.ToTensor()]
    if normalize:
        steps.append(transforms.Normalize((0.5,), (0.5,)))
    transform = transforms.Compose(steps)
    try:
        return datasets.FashionMNIST(str(root), train=train, transform=transform, download=False)
    except RuntimeError:
        if not download:
            raise DataUnavailable(_missing_message(root)) from None
    try:
        root.mkdir(parents=True, exist_ok=True)
        with network_timeout():
            return datasets.FashionMNIST(str(root), train=train, transform=transform, download=True)
    except Exception as exc:  # URLError, timeouts, read-only data root ...
        raise DataUnavailable(f"{_missing_message(root)}\n(download failed: {exc})") from exc


def _missing_message(root) -> str:
    split = "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"
    return (
        f"Fashion-MNIST is not in {root}/FashionMNIST/raw/ ({split}) and could not be downloaded. "
        "Connect to the internet once, or copy those four files there, or point COURSE_DATA_DIR at a "
        "folder that holds them (for example a shared course copy)."
    )
