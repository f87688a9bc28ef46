"""The Large Movie Review Dataset v1.0 (Maas et al., ACL 2011).

The official archive ``aclImdb_v1.tar.gz`` is downloaded and md5-checked with torchvision's utilities
and extracted into the data root; an ``aclImdb/`` folder already there (for example a read-only shared
copy) is used as is. Reviews are read from ``aclImdb/<split>/{pos,neg}/<id>_<rating>.txt``.
"""

from __future__ import annotations

from pathlib import Path

from .. import paths
from .errors import DataUnavailable, network_timeout

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_ARCHIVE_MD5 = "7c2ac02c03563afcf9b574c7e56c153a"


def imdb_folder(download: bool = True) -> Path:
    """The extracted ``aclImdb`` folder, downloading and extracting the archive when needed."""
    root = paths.data_root()
    folder = root / "aclImdb"
    if (folder / "train" / "pos").is_dir() and (folder / "test" / "neg").is_dir():
        return folder
    message = (
        f"The IMDB reviews are not in {folder} and {IMDB_URL} could not be downloaded. Download "
        f"aclImdb_v1.tar.gz (md5 {IMDB_ARCHIVE_MD5}) and extract it into {root}, or point "
        "COURSE_DATA_DIR at a folder that holds aclImdb/."
    )
    if not download:
        raise DataUnavailable(message)
    from torchvision.datasets.utils import download_and_extract_archive

    try:
        root.mkdir(parents=True, exist_ok=True)
        with network_timeout():
            download_and_extract_archive(IMDB_URL, download_root=str(root), md5=IMDB_ARCHIVE_MD5)
    except Exception as exc:
        raise DataUnavailable(f"{message}\n(download failed: {exc})") from exc
    return folder


def imdb_reviews(split: str = "train", limit: int | None = None, download: bool = True) -> tuple[list[str], list[int]]:
    """Texts and labels (1 = positive, 0 = negative) of one split, in a fixed order.

    ``limit`` keeps a balanced subset of that many reviews (half positive, half negative), for the fast
    profile. The order is positives and negatives interleaved by file name, so any prefix is balanced.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    folder = imdb_folder(download) / split

    def files(label: str) -> list[Path]:
        return sorted((folder / label).glob("*.txt"), key=lambda p: int(p.stem.split("_")[0]))

    pos, neg = files("pos"), files("neg")
    if limit is not None:
        pos, neg = pos[: (limit + 1) // 2], neg[: limit // 2]
    texts: list[str] = []
    labels: list[int] = []
    for i in range(max(len(pos), len(neg))):
        for group, label in ((pos, 1), (neg, 0)):
            if i < len(group):
                texts.append(group[i].read_text(encoding="utf-8"))
                labels.append(label)
    return texts, labels
