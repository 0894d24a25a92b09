from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from risk_analysis import distributions
from risk_analysis.chunks import _sample_durations
from risk_analysis.correlation import Correlation, CorrelationMatrix, nearest_correlation
from risk_analysis.errors import SimulationInputError
from risk_analysis.uncertainty import SimulationModel, build_model
from schedules.model import Activity, Distribution, Project, ThreePointEstimate

TaskFactory = Callable[..., Activity]
ProjectFactory = Callable[..., Project]

DRAWS = 200_000
STANDARD_ERRORS = 5.0
# Normal durations with means 10, 15, 20 and variances 4, 9, 16: the PERT normal takes the
# mean (a + 4 m + b) / 6 and the standard deviation (b - a) / 6.
SUMMANDS = {"A": (4.0, 10.0, 16.0), "B": (6.0, 15.0, 24.0), "C": (8.0, 20.0, 32.0)}
PAIRS = (
    Correlation(("A", "B"), 0.5),
    Correlation(("A", "C"), 0.3),
    Correlation(("B", "C"), 0.4),
)


def summand_project(make_task: TaskFactory, make_project: ProjectFactory) -> Project:
    activities = tuple(
        make_task(code, mode, duration_estimate=ThreePointEstimate(low, mode, high,
                                                                   Distribution.NORMAL))
        for code, (low, mode, high) in SUMMANDS.items()
    )  # fmt: skip
    return make_project(activities, calendar=None)


def sampled(model: SimulationModel) -> npt.NDArray[np.float64]:
    """Return DRAWS durations per network activity (activities x draws) in float64."""
    rng = np.random.default_rng(20240601)
    return np.asarray(_sample_durations(model, rng, DRAWS), dtype=np.float64)


def variance_tolerance(values: npt.NDArray[np.float64]) -> float:
    # The standard error of a sample variance is sqrt((m4 - s^4) / n).
    centred = values - values.mean()
    fourth = float(np.mean(centred**4))
    return STANDARD_ERRORS * math.sqrt((fourth - float(values.var()) ** 2) / values.size)


def test_correlated_sum_has_the_textbook_variance(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = summand_project(make_task, make_project)
    model = build_model(project, schedule_uncertainty=0, budget_uncertainty=0, correlations=PAIRS)

    total = sampled(model).sum(axis=0)

    # Mean 45; variance 4 + 9 + 16 + 2 (0.5 * 2 * 3 + 0.3 * 2 * 4 + 0.4 * 3 * 4) = 49.4.
    assert abs(total.mean() - 45.0) <= STANDARD_ERRORS * math.sqrt(49.4 / DRAWS)
    assert abs(total.var() - 49.4) <= variance_tolerance(total)
    assert model.warnings == ()


def test_uncorrelated_sum_has_variance_29(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = summand_project(make_task, make_project)
    model = build_model(project, schedule_uncertainty=0, budget_uncertainty=0)

    total = sampled(model).sum(axis=0)

    assert model.copula is None
    assert abs(total.var() - 29.0) <= variance_tolerance(total)


def test_correlation_leaves_each_marginal_unchanged(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    activities = (
        make_task("T", 10, duration_estimate=ThreePointEstimate(5, 10, 15)),
        make_task("P", 6, duration_estimate=ThreePointEstimate(2, 5, 14, Distribution.PERT)),
        make_task("U", 6, duration_estimate=ThreePointEstimate(2, 6, 10, Distribution.UNIFORM)),
    )
    project = make_project(activities, calendar=None)
    model = build_model(
        project,
        schedule_uncertainty=0,
        budget_uncertainty=0,
        correlations=(Correlation(("T", "P", "U"), 0.8),),
    )

    values = sampled(model)

    for code, row in zip(model.network.activity_codes, values, strict=True):
        estimate = next(a.duration_estimate for a in activities if a.code == code)
        assert estimate is not None
        kind, low, mode, high = (
            estimate.distribution, estimate.optimistic, estimate.most_likely, estimate.pessimistic
        )  # fmt: skip
        mean = float(distributions.mean(kind, low, mode, high)[0])
        variance = float(distributions.variance(kind, low, mode, high)[0])
        assert abs(row.mean() - mean) <= STANDARD_ERRORS * math.sqrt(variance / DRAWS), code
        assert abs(row.var() - variance) <= variance_tolerance(row), code
        assert row.min() >= low - 1e-4, code
        assert row.max() <= high + 1e-4, code
    # Rank correlation of a Gaussian copula: 6 / pi * asin(0.8 / 2) = 0.786.
    ranks = np.argsort(np.argsort(values, axis=1), axis=1)
    spearman = np.asarray(np.corrcoef(ranks), dtype=np.float64)
    assert spearman[0, 1] == pytest.approx(6 / math.pi * math.asin(0.4), abs=0.01)


def test_invalid_matrix_is_repaired_with_a_warning(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    # A and B move together, B and C too, yet A and C oppose: no distribution does that.
    project = summand_project(make_task, make_project)
    specs = (
        Correlation(("A", "B"), 0.9),
        Correlation(("B", "C"), 0.9),
        Correlation(("A", "C"), -0.9),
    )

    model = build_model(project, schedule_uncertainty=0, budget_uncertainty=0, correlations=specs)

    assert model.copula is not None
    matrix = model.copula.matrix
    assert len(model.warnings) == 1
    warning = model.warnings[0]
    assert warning.code == "matrix_repaired"
    assert "not positive semi-definite" in warning.message
    assert warning.activity_codes == ("A", "B", "C")
    assert warning.largest_change == pytest.approx(float(np.max(np.abs(matrix - np.array(
        [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])))))  # fmt: skip
    assert np.linalg.eigvalsh(matrix).min() >= -1e-9
    assert np.allclose(np.diag(matrix), 1.0)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (CorrelationMatrix(("A", "B"), ((1.0, 0.5), (0.2, 1.0))), "different coefficients"),
        (Correlation(("A", "B"), 1.5), "outside [-1, 1]"),
        (CorrelationMatrix(("A", "B"), ((2.0, 0.0), (0.0, 1.0))), "diagonal other than 1"),
    ],
    ids=["asymmetric", "out-of-range", "bad-diagonal"],
)
def test_invalid_coefficients_are_repaired(
    make_task: TaskFactory, make_project: ProjectFactory, spec: object, problem: str
) -> None:
    project = summand_project(make_task, make_project)

    model = build_model(
        project,
        schedule_uncertainty=0,
        budget_uncertainty=0,
        correlations=(spec,),  # type: ignore[arg-type]
    )

    assert [warning.code for warning in model.warnings] == ["matrix_repaired"]
    assert problem in model.warnings[0].message
    assert model.copula is not None
    assert np.all(np.abs(model.copula.matrix) <= 1.0 + 1e-12)


def test_nearest_correlation_matches_higham_example() -> None:
    matrix = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])

    nearest = nearest_correlation(matrix)

    expected = np.array([[1.0, 0.7607, 0.1573], [0.7607, 1.0, 0.7607], [0.1573, 0.7607, 1.0]])
    assert np.allclose(nearest, expected, atol=1e-4)


def test_nearest_correlation_keeps_a_valid_matrix() -> None:
    matrix = np.array([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]])

    nearest = nearest_correlation(matrix)

    assert np.allclose(nearest, matrix, atol=1e-10)


def test_correlation_of_fixed_activity_warns(
    make_task: TaskFactory, make_project: ProjectFactory
) -> None:
    project = make_project(
        (make_task("A", 8), make_task("B", 8, duration_estimate=ThreePointEstimate(4, 8, 12))),
        calendar=None,
    )

    model = build_model(
        project,
        schedule_uncertainty=0,
        budget_uncertainty=0,
        correlations=(Correlation(("A", "B"), 0.5),),
    )

    assert model.copula is None
    assert [warning.code for warning in model.warnings] == ["activity_without_uncertainty"]
    assert model.warnings[0].activity_codes == ("A",)


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        (Correlation(("A", "GHOST"), 0.5), "GHOST"),
        (Correlation(("A", "B"), math.nan), math.nan),
        (Correlation(("A",), 0.5), ("A",)),
        (CorrelationMatrix(("A", "B"), ((1.0, 0.5),)), ("A", "B")),
    ],
    ids=["unknown-activity", "not-a-number", "one-activity", "short-matrix"],
)
def test_correlation_input_errors_name_the_value(
    make_task: TaskFactory, make_project: ProjectFactory, spec: object, value: object
) -> None:
    project = summand_project(make_task, make_project)

    with pytest.raises(SimulationInputError) as caught:
        build_model(project, schedule_uncertainty=0, budget_uncertainty=0, correlations=(spec,))  # type: ignore[arg-type]

    assert caught.value.field == "correlations"
    if isinstance(value, float):
        assert math.isnan(caught.value.value)  # type: ignore[arg-type]
    else:
        assert caught.value.value == value
