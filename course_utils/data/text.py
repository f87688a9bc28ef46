"""Text pipeline of the IMDB notebook: the student's functions run over the corpus once, then batching.

- :func:`encode_imdb` runs the student's ``tokenize`` / ``build_vocab`` / ``encode_and_pad`` over the
  reviews (vocabulary from the training split only) and caches the encoded arrays in the cache folder,
  keyed by the parameters *and* the source code of those three functions, so a rerun loads them in a
  second while a fixed bug recomputes them.
- :class:`SequenceBatches` serves shuffled batches, optionally sorted into buckets of similar length
  with the columns that are padding in every row dropped. With left padding those columns are at the
  start, so a recurrent model reads far fewer pad steps (IMDB reviews average about 210 words of 400).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch

from .. import paths
from ..progress import progress
from .imdb import imdb_reviews


@dataclass
class EncodedCorpus:
    """Encoded reviews: ``x_*`` are (N, length) int64 token ids, ``y_*`` (N,) int64 labels (1 = positive)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    vocab: dict[str, int]
    seconds: float  # time it took to build (also when loaded from the cache)
    cached: bool  # loaded from the cache in this call


def encode_imdb(
    tokenize: Callable[[str], list[str]],
    build_vocab: Callable[..., dict[str, int]],
    encode_and_pad: Callable[..., np.ndarray],
    *,
    max_size: int | None,
    min_freq: int = 1,
    length: int = 400,
    train_limit: int | None = None,
    test_limit: int | None = None,
) -> EncodedCorpus:
    """Tokenize, build the vocabulary on the training reviews and encode both splits, with a cache."""
    params = dict(max_size=max_size, min_freq=min_freq, length=length, train_limit=train_limit,
                  test_limit=test_limit, code=paths.fingerprint(tokenize, build_vocab, encode_and_pad))
    file = paths.cache_dir("imdb") / f"encoded-{paths.cache_key(**params)}.npz"
    if paths.caching_enabled() and file.is_file():
        try:
            with np.load(file) as saved:
                meta = json.loads(str(saved["meta"]))
                return EncodedCorpus(saved["x_train"], saved["y_train"], saved["x_test"], saved["y_test"],
                                     meta["vocab"], meta["seconds"], cached=True)
        except Exception as exc:  # a damaged cache file is rebuilt, not fatal
            print(f"ignoring unusable cache file {file.name}: {exc}")

    start = time.perf_counter()
    train_texts, train_labels = imdb_reviews("train", limit=train_limit)
    test_texts, test_labels = imdb_reviews("test", limit=test_limit)
    train_tokens = [tokenize(t) for t in progress(train_texts, desc="tokenize train")]
    test_tokens = [tokenize(t) for t in progress(test_texts, desc="tokenize test")]
    vocab = build_vocab(train_tokens, max_size=max_size, min_freq=min_freq)

    def encode(token_lists: list[list[str]], desc: str) -> np.ndarray:
        out = np.zeros((len(token_lists), length), dtype=np.int64)
        for i, tokens in enumerate(progress(token_lists, desc=desc)):
            out[i] = encode_and_pad(tokens, vocab, length=length)
        return out

    corpus = EncodedCorpus(encode(train_tokens, "encode train"), np.asarray(train_labels, dtype=np.int64),
                           encode(test_tokens, "encode test"), np.asarray(test_labels, dtype=np.int64),
                           dict(vocab), time.perf_counter() - start, cached=False)
    if paths.caching_enabled():
        tmp = file.with_name(file.stem + ".tmp.npz")
        np.savez(tmp, x_train=corpus.x_train, y_train=corpus.y_train, x_test=corpus.x_test,
                 y_test=corpus.y_test, meta=json.dumps({"vocab": corpus.vocab, "seconds": corpus.seconds}))
        tmp.replace(file)
    return corpus


class SequenceBatches:
    """Re-iterable batches ``(x, y)`` of padded sequences, reshuffled on every pass.

    With ``trim_padding=True`` (for recurrent models) the order is shuffled, cut into chunks of
    ``bucket`` batches, each chunk sorted by length and cut into batches, and the batches shuffled; the
    columns on the left that are 0 in every row of a batch are dropped. Models that need the fixed length
    (an MLP over all positions) use ``trim_padding=False``.
    """

    def __init__(self, x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor, batch_size: int, *,
                 shuffle: bool = True, trim_padding: bool = False, bucket: int = 50, seed: int = 0,
                 device: torch.device | str = "cpu") -> None:
        self.x = torch.as_tensor(np.asarray(x), dtype=torch.int64)
        self.y = torch.as_tensor(np.asarray(y), dtype=torch.int64)
        if self.x.ndim != 2 or len(self.x) != len(self.y):
            raise ValueError(f"expected x of shape (N, T) and y of shape (N,), got {tuple(self.x.shape)} and "
                             f"{tuple(self.y.shape)}")
        self.batch_size, self.shuffle, self.trim_padding, self.bucket = batch_size, shuffle, trim_padding, bucket
        self.lengths = (self.x != 0).sum(dim=1)
        self.generator = torch.Generator().manual_seed(seed)
        self.device = torch.device(device)

    def __len__(self) -> int:
        return (len(self.x) + self.batch_size - 1) // self.batch_size

    def _index_batches(self) -> list[torch.Tensor]:
        n = len(self.x)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        if not self.trim_padding:
            return list(order.split(self.batch_size))
        batches = []
        for chunk in order.split(self.batch_size * self.bucket):
            chunk = chunk[torch.argsort(self.lengths[chunk], stable=True)]
            batches.extend(chunk.split(self.batch_size))
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=self.generator)]
        return batches

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for index in self._index_batches():
            x = self.x[index]
            if self.trim_padding:
                keep = max(int(self.lengths[index].max()), 1)
                x = x[:, x.shape[1] - keep:]
            yield x.to(self.device), self.y[index].to(self.device)
