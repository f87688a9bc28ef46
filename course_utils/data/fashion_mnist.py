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


def fashion_mnist_tensors(train: bool = True, limit: int | None = None, download: bool = True):
    """The whole split as two tensors: images (N, 1, 28, 28) float32 in [-1, 1] and labels (N,) int64.

    Much faster than iterating a DataLoader over PIL images for the small models of the GAN notebooks;
    ``limit`` keeps the first ``limit`` images (the fast profile's subset).
    """
    import torch

    ds = fashion_mnist(train=train, download=download)
    images = ds.data[:limit].unsqueeze(1).float().div(127.5).sub(1.0)
    labels = ds.targets[:limit].clone()
    return images, labels


def random_batches(images, batch_size: int, generator=None, device="cpu", labels=None):
    """An endless iterator of random mini-batches (sampled with replacement) from a tensor of images.

    With ``labels``, each batch is an ``(images, labels)`` pair (for conditional models).
    On a GPU the whole set is moved there once (Fashion-MNIST is 188 MB as float32) and batches are
    gathered on the device, so no step waits for a host-to-device copy; the indices still come from the
    CPU ``generator``, so a seed draws the same batches on every device.
    """
    import torch

    device = torch.device(device)
    if device.type != "cpu":
        images = images.to(device)
        labels = labels.to(device) if labels is not None else None
    while True:
        idx = torch.randint(len(images), (batch_size,), generator=generator)
        if device.type != "cpu":
            idx = idx.to(device, non_blocking=True)
        if labels is None:
            yield images[idx].to(device)
        else:
            yield images[idx].to(device), labels[idx].to(device)
