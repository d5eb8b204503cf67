"""Uncertain parameters: probability distributions a scenario file can give instead of a number.

Any numeric value may be written as a mapping with a `dist` key, e.g.
`{dist: triangular, low: 0.85, mode: 0.95, high: 1.0}`. Ordinary runs use the distribution's
central value (mode, mean or median); `--samples` and `leftshift sensitivity` draw from it.

Every distribution is sampled through its inverse CDF (`ppf`) from uniforms in (0, 1), so that one
design (Latin hypercube, Sobol, Morris, a tornado's quantiles) works for all of them, and so that
correlations can be imposed on the uniforms' ranks (Iman-Conover) without changing any marginal.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from leftshift.scenario.keypaths import KeyPathError, format_path, parse_path
from leftshift.scenario.values import Real

Finite = Real
"""A finite number, never true/false or text (leftshift.scenario.values)."""
U_EPS = 1e-4
"""Uniforms are kept in [U_EPS, 1 - U_EPS]: unbounded distributions then give finite values, and the
values a run can see are known (and checked) before it starts."""
Z80 = 1.2815515655446004  # half-width of a central 80% interval in standard deviations (norm.ppf(0.9))


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def central(self) -> float:
        """The value an ordinary (unsampled) run uses."""
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The value at each cumulative probability in `u`."""
        raise NotImplementedError

    def describe(self) -> str:
        fields = {k: v for k, v in self.model_dump(exclude_none=True).items() if k != "dist"}
        return f"{self.dist}({', '.join(f'{k}={_short(v)}' for k, v in fields.items())})"  # type: ignore[attr-defined]


def _stats() -> Any:
    """scipy.stats, imported on first use: loading a scenario should not pay for it."""
    from scipy import stats

    return stats


def _short(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _fail(message: str) -> None:
    raise ValueError(message)


class Triangular(_Dist):
    """Lowest, most likely and highest value: the usual way to write an expert's judgement."""

    dist: Literal["triangular"]
    low: Finite
    mode: Finite
    high: Finite

    @model_validator(mode="after")
    def _check(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            _fail(f"need low <= mode <= high and low < high (got low={self.low}, mode={self.mode}, high={self.high})")
        return self

    def central(self) -> float:
        return self.mode

    def ppf(self, u: np.ndarray) -> np.ndarray:
        width = self.high - self.low
        c = (self.mode - self.low) / width
        return np.where(
            u < c,
            self.low + np.sqrt(u * width * (self.mode - self.low)),
            self.high - np.sqrt((1 - u) * width * (self.high - self.mode)),
        )


class Pert(_Dist):
    """Like triangular, but with less weight in the tails (a scaled beta; `shape` 4 is the classic PERT)."""

    dist: Literal["pert"]
    low: Finite
    mode: Finite
    high: Finite
    shape: Annotated[Finite, Field(gt=0)] = 4.0

    @model_validator(mode="after")
    def _check(self) -> Pert:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            _fail(f"need low <= mode <= high and low < high (got low={self.low}, mode={self.mode}, high={self.high})")
        return self

    def central(self) -> float:
        return self.mode

    def ppf(self, u: np.ndarray) -> np.ndarray:
        width = self.high - self.low
        a = 1 + self.shape * (self.mode - self.low) / width
        b = 1 + self.shape * (self.high - self.mode) / width
        return self.low + width * _stats().beta.ppf(u, a, b)


class Normal(_Dist):
    dist: Literal["normal"]
    mean: Finite
    sd: Finite

    @model_validator(mode="after")
    def _check(self) -> Normal:
        if self.sd < 0:
            _fail(f"sd must be 0 or more (got {self.sd})")
        return self

    def central(self) -> float:
        return self.mean

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.mean + self.sd * _stats().norm.ppf(u)


class LogNormal(_Dist):
    """Positive and skewed (costs, lengths of stay): by mean and sd, or by median and an 80% interval."""

    dist: Literal["lognormal"]
    mean: Finite | None = None
    sd: Finite | None = None
    median: Finite | None = None
    interval80: Annotated[list[Finite], Field(min_length=2, max_length=2)] | None = None

    @model_validator(mode="after")
    def _check(self) -> LogNormal:
        by_moments = self.mean is not None or self.sd is not None
        by_median = self.median is not None or self.interval80 is not None
        if by_moments == by_median:
            _fail("give either mean and sd, or median and interval80: [low, high]")
        if by_moments:
            if self.mean is None or self.sd is None:
                _fail("give both mean and sd")
            if self.mean <= 0 or self.sd < 0:  # type: ignore[operator]
                _fail(f"need mean > 0 and sd >= 0 (got mean={self.mean}, sd={self.sd})")
        else:
            if self.median is None or self.interval80 is None:
                _fail("give both median and interval80: [low, high]")
            low, high = self.interval80  # type: ignore[misc]
            if not 0 < low < self.median < high:  # type: ignore[operator]
                _fail(f"need 0 < interval80 low < median < interval80 high (got {low}, {self.median}, {high})")
        return self

    def log_params(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal."""
        if self.mean is not None and self.sd is not None:
            sigma2 = math.log1p((self.sd / self.mean) ** 2)
            return math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2)
        low, high = self.interval80  # type: ignore[misc]
        return math.log(self.median), (math.log(high) - math.log(low)) / (2 * Z80)  # type: ignore[arg-type]

    def central(self) -> float:
        return float(self.mean if self.mean is not None else self.median)  # type: ignore[arg-type]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        mu, sigma = self.log_params()
        return np.exp(mu + sigma * _stats().norm.ppf(u))


class Beta(_Dist):
    """A share or probability between 0 and 1: by alpha and beta, or by mean and sd."""

    dist: Literal["beta"]
    alpha: Finite | None = None
    beta: Finite | None = None
    mean: Finite | None = None
    sd: Finite | None = None

    @model_validator(mode="after")
    def _check(self) -> Beta:
        by_shape = self.alpha is not None or self.beta is not None
        by_moments = self.mean is not None or self.sd is not None
        if by_shape == by_moments:
            _fail("give either alpha and beta, or mean and sd")
        if by_shape:
            if self.alpha is None or self.beta is None or self.alpha <= 0 or self.beta <= 0:
                _fail(f"need alpha > 0 and beta > 0 (got alpha={self.alpha}, beta={self.beta})")
        else:
            if self.mean is None or self.sd is None:
                _fail("give both mean and sd")
            if not 0 < self.mean < 1:  # type: ignore[operator]
                _fail(f"a beta distribution lies between 0 and 1: its mean must too (got {self.mean})")
            if not 0 < self.sd < math.sqrt(self.mean * (1 - self.mean)):  # type: ignore[operator]
                limit = math.sqrt(self.mean * (1 - self.mean))  # type: ignore[operator]
                _fail(f"sd must be above 0 and below sqrt(mean x (1 - mean)) = {limit:.4g} (got {self.sd})")
        return self

    def shape_params(self) -> tuple[float, float]:
        if self.alpha is not None and self.beta is not None:
            return self.alpha, self.beta
        m, v = self.mean, self.sd**2  # type: ignore[operator]
        k = m * (1 - m) / v - 1  # type: ignore[operator]
        return m * k, (1 - m) * k  # type: ignore[operator]

    def central(self) -> float:
        a, b = self.shape_params()
        return a / (a + b)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return _stats().beta.ppf(u, *self.shape_params())


class Gamma(_Dist):
    """Positive and skewed: by shape and scale, or by mean and sd."""

    dist: Literal["gamma"]
    shape: Finite | None = None
    scale: Finite | None = None
    mean: Finite | None = None
    sd: Finite | None = None

    @model_validator(mode="after")
    def _check(self) -> Gamma:
        by_shape = self.shape is not None or self.scale is not None
        by_moments = self.mean is not None or self.sd is not None
        if by_shape == by_moments:
            _fail("give either shape and scale, or mean and sd")
        values = (self.shape, self.scale) if by_shape else (self.mean, self.sd)
        if any(v is None or v <= 0 for v in values):
            names = "shape and scale" if by_shape else "mean and sd"
            _fail(f"need {names} both above 0 (got {values[0]}, {values[1]})")
        return self

    def shape_params(self) -> tuple[float, float]:
        if self.shape is not None and self.scale is not None:
            return self.shape, self.scale
        return (self.mean / self.sd) ** 2, self.sd**2 / self.mean  # type: ignore[operator]

    def central(self) -> float:
        k, theta = self.shape_params()
        return k * theta

    def ppf(self, u: np.ndarray) -> np.ndarray:
        k, theta = self.shape_params()
        return _stats().gamma.ppf(u, k, scale=theta)


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: Finite
    high: Finite

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        if not self.low < self.high:
            _fail(f"need low < high (got low={self.low}, high={self.high})")
        return self

    def central(self) -> float:
        return (self.low + self.high) / 2

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * u


Distribution = Annotated[Triangular | Pert | Normal | LogNormal | Beta | Gamma | Uniform, Field(discriminator="dist")]
DISTRIBUTION_NAMES = ("triangular", "pert", "normal", "lognormal", "beta", "gamma", "uniform")
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Distribution)


class Correlation(BaseModel):
    """Rank correlation between two uncertain parameters, named by key path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: Annotated[str, Field(min_length=1)]
    b: Annotated[str, Field(min_length=1)]
    rho: Annotated[Finite, Field(gt=-1, lt=1)]

    @field_validator("a", "b")
    @classmethod
    def _canonical(cls, path: str) -> str:
        """Written as the loader names uncertain parameters (scenario.keypaths), so that equal paths match."""
        try:
            return format_path(parse_path(path.strip()))
        except KeyPathError:
            return path


def parse_distribution(node: dict[str, Any]) -> Any:
    """Validate one `{dist: ...}` mapping (raises pydantic.ValidationError)."""
    return _ADAPTER.validate_python(node)


def is_distribution(node: Any) -> bool:
    return isinstance(node, dict) and "dist" in node


def quantile(dist: Any, q: float | np.ndarray) -> np.ndarray:
    """`dist.ppf` with q kept inside [U_EPS, 1 - U_EPS]."""
    return dist.ppf(np.clip(np.asarray(q, dtype=float), U_EPS, 1 - U_EPS))


def correlation_matrix(names: list[str], correlations: list[Correlation]) -> np.ndarray | None:
    """The target rank-correlation matrix over `names`, or None when nothing is correlated."""
    if not correlations:
        return None
    index = {n: i for i, n in enumerate(names)}
    matrix = np.eye(len(names))
    for c in correlations:
        if c.a in index and c.b in index:
            matrix[index[c.a], index[c.b]] = matrix[index[c.b], index[c.a]] = c.rho
    return matrix


def correlation_problems(names: list[str], correlations: list[Correlation]) -> list[tuple[int, str, str]]:
    """(correlation index, field, message) for correlations that name unknown parameters or do not fit together."""
    problems: list[tuple[int, str, str]] = []
    known = set(names)
    seen: set[frozenset[str]] = set()
    for i, c in enumerate(correlations):
        for field in ("a", "b"):
            name = getattr(c, field)
            if name not in known:
                listed = ", ".join(sorted(known)) or "none"
                problems.append((i, field, f"'{name}' is not an uncertain parameter (those with a dist: {listed})"))
        if c.a == c.b:
            problems.append((i, "b", "a parameter cannot be correlated with itself"))
        pair = frozenset((c.a, c.b))
        if pair in seen:
            problems.append((i, "", f"the pair {c.a} / {c.b} is listed twice"))
        seen.add(pair)
    if not problems:
        matrix = correlation_matrix(names, correlations)
        if matrix is not None and np.linalg.eigvalsh(matrix).min() <= 1e-10:
            problems.append((0, "", "these correlations cannot hold together (the matrix is not positive definite); "
                                    "weaken some of them"))  # fmt: skip
    return problems


def impose_rank_correlation(u: np.ndarray, target: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reorder each column of `u` (n x d uniforms) so their ranks have roughly the `target` correlation.

    Iman & Conover (1982): every column keeps exactly its values (so a Latin hypercube stays one and
    every marginal distribution is untouched); only which values are paired with which changes.
    With no more draws than parameters the scores cannot have a full-rank correlation matrix, so then only the
    columns that take part in a correlation are reordered (and nothing when there are too few draws even for them).
    """
    n, d = u.shape
    if n < 3 or d < 2:
        return u
    if n <= d:
        involved = np.flatnonzero((target != np.eye(d)).any(axis=0))
        if len(involved) < 2 or n <= len(involved):
            return u
        out = u.copy()
        out[:, involved] = impose_rank_correlation(u[:, involved], target[np.ix_(involved, involved)], rng)
        return out
    scores = _stats().norm.ppf(np.arange(1, n + 1) / (n + 1))
    s = np.column_stack([rng.permutation(scores) for _ in range(d)])
    e = np.corrcoef(s, rowvar=False)
    t = s @ np.linalg.inv(np.linalg.cholesky(e)).T @ np.linalg.cholesky(target).T
    out = np.empty_like(u)
    for j in range(d):
        out[np.argsort(t[:, j]), j] = np.sort(u[:, j])
    return out


__all__ = [
    "DISTRIBUTION_NAMES", "U_EPS", "Beta", "Correlation", "Distribution", "Gamma", "LogNormal", "Normal", "Pert",
    "Triangular", "Uniform", "correlation_matrix", "correlation_problems", "impose_rank_correlation",
    "is_distribution", "parse_distribution", "quantile",
]  # fmt: skip
