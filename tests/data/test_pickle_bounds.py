"""SR-GNN pickles that would allocate gigabytes from a few bytes are refused first:
an id of 10^9 (every table would be sized by it) and one list referenced many times."""
from __future__ import annotations

import pickle

import pytest

from fgnn.data.readers import read_srgnn_folder
from fgnn.data.registry import load_dataset
from fgnn.errors import DataError

from .conftest import cache_entries


def _folder(tmp_path, train, test=([[1], [2]], [2, 1])):
    folder = tmp_path / "srgnn"
    folder.mkdir(exist_ok=True)
    (folder / "all_train_seq.txt").write_bytes(pickle.dumps(train))
    (folder / "test.txt").write_bytes(pickle.dumps(test))
    return folder


def test_one_huge_item_id_is_refused_before_any_table_is_sized(tmp_path, cache_dir):
    folder = _folder(tmp_path, [[1, 2, 3], [2, 3, 10**9]])
    with pytest.raises(DataError) as info:
        read_srgnn_folder(folder)  # the reader refuses it: nothing of size 10^9 is ever made
    assert "1,000,000,000" in str(info.value) and "re-number" in str(info.value)
    with pytest.raises(DataError):
        load_dataset(folder)
    assert cache_entries(cache_dir) == []
    folder = _folder(tmp_path, [[1, 2, 3], [2, 3, 4]], test=([[1], [2]], [10**9, 1]))  # in the targets too
    with pytest.raises(DataError, match="run up to"):
        read_srgnn_folder(folder)


def test_sparse_but_sane_ids_are_read(tmp_path):
    folder = _folder(tmp_path, [[1, 2, 3], [2, 3, 1_000_000]])  # a sparse synthetic catalogue is fine
    assert read_srgnn_folder(folder).all_train_seq[0].max() == 1_000_000
    folder = _folder(tmp_path, [[1, 2, 3], [2, 3, 1_000_001]])
    with pytest.raises(DataError, match="1,000,001"):
        read_srgnn_folder(folder)


def test_a_list_reused_many_times_is_refused(tmp_path, cache_dir):
    session = list(range(1, 51))
    folder = _folder(tmp_path, [session] * 100_000)  # 5,000,000 ids in a ~200 kB file
    assert (folder / "all_train_seq.txt").stat().st_size < 500_000
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    assert "all_train_seq.txt" in str(info.value) and "reused" in str(info.value)
    prefixes = [session] * 20_000
    folder = _folder(tmp_path, [[1, 2]], test=(prefixes, [1] * len(prefixes)))
    with pytest.raises(DataError, match="test.txt.*reused"):
        read_srgnn_folder(folder)
    assert cache_entries(cache_dir) == []
