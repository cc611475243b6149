"""aecourse.manifold: tangents, the circle's score, angles between lines, Jacobian directions, sensitivities."""
import numpy as np
import pytest
import torch
from torch import nn

from aecourse.manifold import (
    circle_score,
    circle_tangent,
    directional_sensitivity,
    jacobian_directions,
    line_angle,
    neighbour_directions,
    random_directions,
    score_slope,
)


def test_circle_tangent_is_unit_and_orthogonal_to_the_radius():
    x = np.array([[2.0, 0.0], [0.0, -0.5], [1.0, 1.0]])
    t = circle_tangent(x)
    np.testing.assert_allclose(np.linalg.norm(t, axis=1), 1.0)
    np.testing.assert_allclose((t * x).sum(1), 0.0, atol=1e-12)
    np.testing.assert_allclose(t[0], [0.0, 1.0])


def test_circle_score_matches_finite_differences_of_the_log_density():
    from scipy.special import i0e
    v = 0.05

    def log_p(x):   # log of the circle convolved with N(0, v I), up to a constant
        r = np.linalg.norm(x, axis=1)
        return np.log(i0e(r / v)) + r / v - (r ** 2 + 1) / (2 * v)

    x = np.array([[0.7, 0.2], [1.3, -0.4], [-0.1, 0.95]])
    eps = 1e-6
    numeric = np.stack([(log_p(x + eps * e) - log_p(x - eps * e)) / (2 * eps) for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(circle_score(x, v), numeric, rtol=1e-5)


def test_circle_score_points_to_the_circle_and_vanishes_near_it():
    s = circle_score(np.array([[0.5, 0.0], [1.5, 0.0]]), 0.01)
    assert s[0, 0] > 0 and s[1, 0] < 0
    assert abs(circle_score(np.array([[1.0, 0.0]]), 1e-3)[0, 0]) < 1.0


def test_line_angle_ignores_sign_and_length():
    u = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    v = np.array([[-4.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    np.testing.assert_allclose(line_angle(u, v), [0.0, 45.0, 90.0], atol=1e-9)
    np.testing.assert_allclose(line_angle(u, u), 0.0, atol=1e-5)


def test_jacobian_directions_of_a_linear_encoder_are_its_right_singular_vectors():
    torch.manual_seed(0)
    linear = nn.Linear(5, 3)
    x = torch.randn(4, 5)
    directions, s = jacobian_directions(linear, x, 2)
    _, s_ref, vh = torch.linalg.svd(linear.weight.detach())
    assert directions.shape == (4, 2, 5) and s.shape == (4, 2)
    np.testing.assert_allclose(s[0].numpy(), s_ref[:2].numpy(), rtol=1e-5)
    np.testing.assert_allclose(line_angle(directions[:, 0].numpy(), vh[:1].expand(4, -1).numpy()), 0.0, atol=1e-2)


def test_directional_sensitivity_is_the_norm_of_w_u_for_a_linear_encoder():
    torch.manual_seed(0)
    linear = nn.Linear(5, 3).double()
    x, u = torch.randn(6, 5, dtype=torch.float64), torch.randn(6, 5, dtype=torch.float64)
    expected = (u / u.norm(dim=1, keepdim=True) @ linear.weight.detach().T).norm(dim=1)
    torch.testing.assert_close(directional_sensitivity(linear, x, u), expected)
    # numpy inputs take the model's dtype
    assert directional_sensitivity(linear.float(), x.numpy(), 3 * u.numpy()).dtype == torch.float32


def test_neighbour_directions_point_to_the_nearest_other_point():
    ref = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    d = neighbour_directions(ref, ref)
    np.testing.assert_allclose(d, [[1.0, 0.0], [-1.0, 0.0], [0.0, -1.0]])
    np.testing.assert_allclose(neighbour_directions(ref[:1], ref, k=2), [[0.0, 1.0]])


def test_random_directions_are_unit_and_seeded():
    u = random_directions(10, 7, seed=3)
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0)
    np.testing.assert_array_equal(u, random_directions(10, 7, seed=3))


def test_score_slope_recovers_the_scale():
    score = np.random.default_rng(0).standard_normal((50, 2))
    assert score_slope(0.04 * score, score) == pytest.approx(0.04)


@pytest.mark.parametrize("call, message", [
    (lambda: circle_tangent(np.zeros((1, 2))), "origin"),
    (lambda: circle_tangent(np.ones((3, 3))), "expected 2 features"),
    (lambda: circle_score(np.ones((2, 2)), 0.0), "variance"),
    (lambda: line_angle(np.ones((2, 3)), np.ones((3, 3))), "same shape"),
    (lambda: line_angle(np.zeros((1, 2)), np.ones((1, 2))), "zero vector"),
    (lambda: jacobian_directions(nn.Linear(3, 2), torch.ones(2, 3), 3), "at most 2"),
    (lambda: directional_sensitivity(nn.Linear(3, 2), torch.ones(2, 3), torch.ones(3, 3)), "one direction per"),
    (lambda: directional_sensitivity(nn.Linear(3, 2), torch.ones(2, 3), torch.zeros(2, 3)), "zero vector"),
    (lambda: neighbour_directions(np.ones((2, 3)), np.ones((4, 2))), "expected 3 features"),
    (lambda: neighbour_directions(np.eye(3), np.eye(3), k=3), "at most 2"),
    (lambda: score_slope(np.ones((2, 2)), np.ones((3, 2))), "same shape"),
])
def test_bad_input_gets_a_helpful_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
