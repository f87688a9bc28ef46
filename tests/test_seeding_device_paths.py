"""Seeding reproduces draws; the device follows the hardware; data and cache folders follow the env."""

import random

import numpy as np
import torch

from course_utils import device, paths, seeding


def _draws():
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_seed_everything_reproduces_python_numpy_and_torch_draws():
    seeding.seed_everything(123)
    first = _draws()
    seeding.seed_everything(123)
    assert _draws() == first
    seeding.seed_everything(124)
    assert _draws() != first


def test_torch_generator_is_independent_of_global_state():
    a = torch.rand(3, generator=seeding.torch_generator(5))
    torch.manual_seed(0)
    torch.rand(10)
    assert torch.equal(torch.rand(3, generator=seeding.torch_generator(5)), a)


def test_device_is_cuda_exactly_when_available(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    got = device.get_device().type
    if expected:
        assert got == expected
    else:
        assert got in ("cpu", "mps")


def test_course_device_overrides(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert device.get_device() == torch.device("cpu")
    assert "cpu cores" in device.describe_machine()


def test_data_root_from_env_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert paths.data_root() == tmp_path.resolve()
    monkeypatch.delenv("COURSE_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.data_root() == tmp_path / "xdg" / "course-kit" / "data"


def test_cache_dir_is_separate_and_created(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    folder = paths.cache_dir("imdb", "vocab")
    assert folder.is_dir() and folder == (tmp_path / "c" / "imdb" / "vocab").resolve()
    assert not (tmp_path / "d").exists(), "the data root must not be written to"


def test_cache_key_is_stable_and_parameter_sensitive():
    assert paths.cache_key(a=1, b="x") == paths.cache_key(b="x", a=1)
    assert paths.cache_key(a=1) != paths.cache_key(a=2)
    assert len(paths.cache_key(a=1)) == 16
