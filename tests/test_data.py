"""Data: one root for everything, clear errors when a dataset is absent."""

import pytest

from core.training.data import DataUnavailableError, data_root, load_mnist, load_shakespeare


def test_data_root_order(monkeypatch, tmp_path):
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path))
    assert data_root("elsewhere").name == "elsewhere"
    assert data_root() == tmp_path
    monkeypatch.delenv("GENLAB_DATA")
    assert str(data_root()) == "data"


def test_tiny_mnist_loads_in_unit_range(tiny_mnist):
    x, y = load_mnist(train=True, data_dir=tiny_mnist, download=False)
    assert x.shape == (256, 1, 28, 28) and y.shape == (256,)
    assert 0 <= x.min() and x.max() <= 1


def test_missing_datasets_are_a_clear_error(tmp_path):
    with pytest.raises(DataUnavailableError, match="MNIST"):
        load_mnist(train=False, data_dir=tmp_path, download=False)
    with pytest.raises(DataUnavailableError, match="input.txt"):
        load_shakespeare(tmp_path, download=False)


def test_offline_download_fails_with_a_message(tmp_path, monkeypatch):
    import urllib.request

    def offline(*a, **k):
        raise OSError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataUnavailableError, match="offline"):
        load_shakespeare(tmp_path, download=True)
    assert not any(tmp_path.rglob("*.part"))


def test_real_shakespeare_has_its_length(shakespeare_dir):
    assert len(load_shakespeare(shakespeare_dir, download=False)) == 1_115_394
