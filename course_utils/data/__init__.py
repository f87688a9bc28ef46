"""Data sets used by the notebooks, loaded from the data root (:func:`course_utils.paths.data_root`).

- :func:`fashion_mnist` -- torchvision's ``FashionMNIST`` (downloaded, with checksums, when missing);
- :func:`imdb_reviews`  -- the Large Movie Review Dataset v1.0 from the official archive (checksum
  verified), or an already extracted ``aclImdb/`` folder in the data root, used as is;
- :func:`encode_imdb` / :class:`SequenceBatches` -- the student's text pipeline run once over the corpus
  (cached), and length-bucketed batches for recurrent models;
- :mod:`course_utils.data.toy2d` -- the 2-D toy sets of the WGAN-GP paper (8 and 25 Gaussians, Swiss roll)
  and :class:`PairedBatches` of (real, fake) pairs for training a critic against a fixed generator.

Offline with no data present, both raise :class:`DataUnavailable`, naming the file that is missing and
how to get it, instead of hanging on the network.
"""

from .errors import DataUnavailable
from .fashion_mnist import FASHION_MNIST_CLASSES, fashion_mnist, fashion_mnist_tensors, random_batches
from .imdb import IMDB_ARCHIVE_MD5, IMDB_URL, imdb_reviews
from .text import EncodedCorpus, SequenceBatches, encode_imdb
from .toy2d import TOY_DATASETS, PairedBatches, eight_gaussians, swiss_roll, twentyfive_gaussians

__all__ = [
    "DataUnavailable",
    "EncodedCorpus",
    "SequenceBatches",
    "encode_imdb",
    "FASHION_MNIST_CLASSES",
    "fashion_mnist",
    "fashion_mnist_tensors",
    "random_batches",
    "IMDB_ARCHIVE_MD5",
    "IMDB_URL",
    "imdb_reviews",
    "TOY_DATASETS",
    "PairedBatches",
    "eight_gaussians",
    "twentyfive_gaussians",
    "swiss_roll",
]
