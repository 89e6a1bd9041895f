"""Item map projection: shape, agreement with an exact PCA, determinism, no RNG side effects."""
import numpy as np
import pytest
import torch

from fgnn.app.projection import item_map_coordinates


def exact_pca(e: np.ndarray) -> np.ndarray:
    c = e - e.mean(axis=0)
    u, s, _ = np.linalg.svd(c, full_matrices=False)
    out = u[:, :2] * s[:2]
    for j in range(2):
        if out[np.argmax(np.abs(out[:, j])), j] < 0:
            out[:, j] *= -1
    return out


def test_shape_values_and_determinism():
    emb = torch.randn(60, 16, generator=torch.Generator().manual_seed(1))
    a = item_map_coordinates(emb)
    assert a.shape == (60, 2) and a.dtype == np.float64
    np.testing.assert_allclose(a, exact_pca(emb.double().numpy()), atol=1e-6)
    np.testing.assert_array_equal(a, item_map_coordinates(emb.clone()))


def test_sign_convention_survives_a_flipped_embedding():
    emb = torch.randn(40, 8, generator=torch.Generator().manual_seed(2))
    np.testing.assert_allclose(item_map_coordinates(emb), item_map_coordinates(-emb), atol=1e-6)


def test_global_rng_untouched():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    item_map_coordinates(torch.randn(20, 5, generator=torch.Generator().manual_seed(0)))
    assert torch.equal(torch.rand(3), expected)


def test_degenerate_inputs():
    assert item_map_coordinates(torch.zeros(0, 4)).shape == (0, 2)
    np.testing.assert_array_equal(item_map_coordinates(torch.ones(1, 4)), np.zeros((1, 2)))
    one_d = item_map_coordinates(-torch.tensor([[0.0], [1.0], [2.0], [3.0], [9.0]]))
    assert one_d.shape == (5, 2) and (one_d[:, 1] == 0).all()
    assert one_d[:, 0].tolist() == pytest.approx([-3, -2, -1, 0, 6])  # largest |value| positive
    with pytest.raises(ValueError):
        item_map_coordinates(torch.randn(5, 3), method="tsne")
    with pytest.raises(ValueError):
        item_map_coordinates(torch.randn(5))
