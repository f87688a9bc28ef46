"""The IMDB text pipeline: the student's functions run once over the corpus (cached), and batching."""

import numpy as np
import pytest
import torch

from course_utils.data import SequenceBatches, encode_imdb


def _tokenize(text):
    return text.lower().split()


def _build_vocab(token_lists, max_size=None, min_freq=1):
    words = sorted({w for tokens in token_lists for w in tokens})
    vocab = {"<pad>": 0, "<unk>": 1}
    for w in words[: None if max_size is None else max_size - 2]:
        vocab[w] = len(vocab)
    return vocab


def _encode(tokens, vocab, length=400):
    ids = [vocab.get(t, 1) for t in tokens[:length]]
    return np.array([0] * (length - len(ids)) + ids, dtype=np.int64)


def _encode_other(tokens, vocab, length=400):  # same behaviour, other source code
    out = np.zeros(length, dtype=np.int64)
    ids = [vocab.get(t, 1) for t in tokens[:length]]
    out[length - len(ids):] = ids
    return out


@pytest.mark.data
def test_encode_imdb_uses_the_given_functions_and_caches_by_code(data_root, clean_env, monkeypatch):
    monkeypatch.setenv("COURSE_CHECKPOINTS", "1")
    first = encode_imdb(_tokenize, _build_vocab, _encode, max_size=50, length=30, train_limit=20, test_limit=10)
    assert not first.cached
    assert first.x_train.shape == (20, 30) and first.x_test.shape == (10, 30) and first.x_train.dtype == np.int64
    assert first.y_train.tolist() == [1, 0] * 10 and len(first.vocab) == 50
    assert first.x_train.max() < 50 and (first.x_test == 1).any()  # the test split has words outside the vocabulary
    again = encode_imdb(_tokenize, _build_vocab, _encode, max_size=50, length=30, train_limit=20, test_limit=10)
    assert again.cached and again.vocab == first.vocab and np.array_equal(again.x_test, first.x_test)
    # other code or other parameters rebuild; under nbgrader nothing is reused
    assert not encode_imdb(_tokenize, _build_vocab, _encode_other, max_size=50, length=30, train_limit=20,
                           test_limit=10).cached
    assert not encode_imdb(_tokenize, _build_vocab, _encode, max_size=60, length=30, train_limit=20,
                           test_limit=10).cached
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert not encode_imdb(_tokenize, _build_vocab, _encode, max_size=50, length=30, train_limit=20,
                           test_limit=10).cached


def _padded(lengths, T=12):
    x = np.zeros((len(lengths), T), dtype=np.int64)
    for i, n in enumerate(lengths):
        x[i, T - n:] = np.arange(2, 2 + n)
    return x


def test_sequence_batches_cover_every_row_once_per_pass_and_reshuffle():
    x, y = _padded([1, 5, 12, 3, 7, 2, 9]), np.arange(7)
    batches = SequenceBatches(x, y, 3, trim_padding=False, seed=0)
    passes = [[int(v) for _, yb in batches for v in yb] for _ in range(3)]
    assert len(batches) == 3 and all(sorted(p) == list(range(7)) for p in passes)
    assert len({tuple(p) for p in passes}) > 1, "every pass should be reshuffled"
    for xb, yb in batches:
        assert xb.shape[1] == 12 and torch.equal(xb, torch.from_numpy(x)[yb])


def test_trimmed_batches_drop_only_columns_that_are_padding_in_every_row():
    lengths = [1, 5, 12, 3, 7, 2, 9, 4]
    x, y = _padded(lengths), np.arange(8)
    seen = []
    for xb, yb in SequenceBatches(x, y, 2, trim_padding=True, bucket=4, seed=3):
        full = torch.from_numpy(x)[yb]
        keep = xb.shape[1]
        assert keep == max(lengths[int(i)] for i in yb), "the batch keeps exactly its longest review"
        assert torch.equal(xb, full[:, 12 - keep:]) and (full[:, : 12 - keep] == 0).all()
        seen += yb.tolist()
    assert sorted(seen) == list(range(8))
    # in order, without shuffling: sorted by length inside each bucket
    ordered = [yb.tolist() for _, yb in SequenceBatches(x, y, 2, shuffle=False, trim_padding=True, bucket=4)]
    assert ordered == [[0, 5], [3, 7], [1, 4], [6, 2]]


def test_sequence_batches_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="expected x of shape"):
        SequenceBatches(np.zeros((3, 4)), np.zeros(2), 2)
