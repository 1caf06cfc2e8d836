"""Betting e-processes for the mean of a bounded stream: evidence that it is above, or below, 0.

The observations Y_1, Y_2, ... lie in known bounds [low, high] with low < 0 < high.
Two capital processes bet against the two one-sided nulls about their mean μ:

    K↑_t = Π_{i≤t} (1 + λ↑_i (Y_i - c_i)),   λ↑_i ≥ 0:  evidence against H↑: μ ≤ 0
    K↓_t = Π_{i≤t} (1 - λ↓_i (Y_i - c_i)),   λ↓_i ≥ 0:  evidence against H↓: μ ≥ 0

These are the two halves of the hedged capital process of Waudby-Smith & Ramdas,
"Estimating means of bounded random variables by betting" (JRSS-B 2024, arXiv
2010.09686; "WSR" below, Section 4), kept apart so that each side gets its own
error budget. Under its null each is a nonnegative supermartingale with K_0 = 1,
so by Ville's inequality P(sup_t K_t ≥ 1/a) ≤ a: 1 / running max of K is an
anytime-valid p-value, whatever the looks and however the stopping is decided.

The center c_i is the null's conditional mean of Y_i (the paper's m):

- sampling with replacement (i.i.d. observations; WSR): c_i = 0;
- sampling without replacement from a finite population of N units whose mean is the
  target (Waudby-Smith & Ramdas, "Confidence sequences for sampling without
  replacement", NeurIPS 2020, arXiv 2006.04347, Section 3; "WoR" below): under
  "population mean = 0" the mean of the N - i + 1 units not yet seen is
  c_i = (N·0 - S_{i-1}) / (N - i + 1), S_{i-1} = Σ_{j<i} Y_j (their m_t^wor).
  For a population mean above 0 (H↓) or below 0 (H↑) the true conditional mean
  lies on the far side of c_i, so the one-sided processes stay supermartingales.
  Once the units seen and the bounds of the rest settle a side (S_t + (N - t)·low > 0
  makes "mean ≤ 0" impossible; S_t + (N - t)·high < 0 makes "mean ≥ 0" impossible),
  that side's wealth is +inf: at t = N the population mean is known.

Bets are the predictable aGRAPA plug-in of WSR (Section 5.1, "approximate growth
rate adaptive to the particular alternative"), the Kelly bet for the estimated
edge: k_i = e_i / (σ̂²_{i-1} + e_i²), λ↑_i = clip(k_i, 0, h / (c_i - low)),
λ↓_i = clip(-k_i, 0, h / (high - c_i)) with the truncation h = 1/2 (each factor
stays ≥ 1/2). The edge e_i is the estimated mean of Y_i minus c_i:

- WSR: e_i = μ̂_{i-1};   WoR: e_i = (N μ̂_{i-1} - S_{i-1})/(N - i + 1) - c_i = N μ̂_{i-1}/(N - i + 1);
- μ̂_t = S_t / (t + 1) and σ̂²_t = (σ₀² + Σ_{i≤t} (Y_i - μ̂_i)²) / (t + 1), WSR's
  regularised running mean and variance with one pseudo-observation: at the null
  mean 0 (WSR put it at the middle of the range, 1/2; at the null the first bet is
  0) and with the largest variance the bounds allow, σ₀² = ((high - low) / 2)²
  (WSR's 1/4 on [0, 1]).

Everything is vectorised over leading axes (runs of a simulation, candidate means
of a confidence sequence) and over a batch of observations along the last axis,
with cumulative sums; `advance` over one batch of b observations gives the same
wealth as b single steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

TRUNCATION = 0.5  # h: a bet never risks more than half the wealth
SETTLED_TOLERANCE = 1e-9  # float slack of the "population mean already settled" checks


@dataclass(frozen=True)
class Wealth:
    """Both capital processes after ``t`` observations, per leading index (all in log space)."""

    t: int
    total: FloatArray  # S_t = Σ_{i≤t} Y_i
    squares: FloatArray  # Σ_{i≤t} (Y_i - μ̂_i)², of σ̂²_t
    log_up: FloatArray  # log K↑_t
    log_down: FloatArray  # log K↓_t
    max_up: FloatArray  # log max_{s≤t} K↑_s (the e-value; its exp(-·) is the p-value of H↑)
    max_down: FloatArray  # log max_{s≤t} K↓_s

    @classmethod
    def start(cls, shape: tuple[int, ...]) -> Wealth:
        """K_0 = 1 on both sides, nothing observed."""
        zeros = np.zeros(shape, dtype=np.float64)
        return cls(0, zeros, zeros, zeros, zeros, zeros, zeros)


@dataclass(frozen=True)
class Path:
    """The processes after each observation of one batch: arrays of shape (*leading, b)."""

    t: int  # observations after the last column
    total: FloatArray
    squares: FloatArray
    log_up: FloatArray
    log_down: FloatArray
    max_up: FloatArray
    max_down: FloatArray

    @property
    def end(self) -> Wealth:
        return Wealth(
            self.t,
            self.total[..., -1],
            self.squares[..., -1],
            self.log_up[..., -1],
            self.log_down[..., -1],
            self.max_up[..., -1],
            self.max_down[..., -1],
        )


def advance(
    wealth: Wealth,
    y: FloatArray,
    low: FloatArray | float,
    high: FloatArray | float,
    population: int | None = None,
) -> Path:
    """Bet on the next observations ``y`` (shape (*leading, b), in [low, high]) in order.

    ``low``/``high`` broadcast against the leading shape; ``population`` is N for
    sampling without replacement (the target is the mean of N units), else None.
    """
    y = np.asarray(y, dtype=np.float64)
    b = y.shape[-1]
    if b == 0:
        raise ValueError("a batch needs at least one observation")
    low_ = np.asarray(low, dtype=np.float64)[..., None]
    high_ = np.asarray(high, dtype=np.float64)[..., None]
    i = np.arange(wealth.t + 1, wealth.t + b + 1, dtype=np.float64)  # 1-based times
    if population is not None and wealth.t + b > population:
        raise ValueError(f"{wealth.t + b} observations from a population of {population}")
    total = wealth.total[..., None] + np.cumsum(y, axis=-1)  # S_i
    before = total - y  # S_{i-1}
    mean_before = before / i  # μ̂_{i-1} = S_{i-1} / i
    deviation2 = (y - total / (i + 1)) ** 2  # (Y_i - μ̂_i)²
    squares = wealth.squares[..., None] + np.cumsum(deviation2, axis=-1)
    prior = ((high_ - low_) / 2) ** 2  # σ₀²
    variance_before = (prior + squares - deviation2) / i  # σ̂²_{i-1}
    if population is None:
        center: FloatArray | float = 0.0  # c_i = m = 0
        edge = mean_before  # e_i = μ̂_{i-1} - c_i
    else:
        remaining = population - i + 1  # N - i + 1 units not yet seen, Y_i among them
        center = -before / remaining  # m_i^wor under "population mean = 0"
        edge = population * mean_before / remaining
    kelly = edge / (variance_before + edge**2)  # aGRAPA
    room_up = center - low_  # the most a unit bet on "above" can lose
    room_down = high_ - center
    bet_up = np.where(
        room_up > 0, np.clip(kelly, 0.0, TRUNCATION / np.maximum(room_up, 1e-300)), 0.0
    )
    bet_down = np.where(
        room_down > 0, np.clip(-kelly, 0.0, TRUNCATION / np.maximum(room_down, 1e-300)), 0.0
    )
    log_up = wealth.log_up[..., None] + np.cumsum(np.log1p(bet_up * (y - center)), axis=-1)
    log_down = wealth.log_down[..., None] + np.cumsum(np.log1p(-bet_down * (y - center)), axis=-1)
    if population is not None:
        unseen = population - i  # N - t after observation t
        log_up = np.where(total + unseen * low_ > SETTLED_TOLERANCE, np.inf, log_up)
        log_down = np.where(total + unseen * high_ < -SETTLED_TOLERANCE, np.inf, log_down)
    max_up = np.maximum.accumulate(np.maximum(log_up, wealth.max_up[..., None]), axis=-1)
    max_down = np.maximum.accumulate(np.maximum(log_down, wealth.max_down[..., None]), axis=-1)
    return Path(wealth.t + b, total, squares, log_up, log_down, max_up, max_down)
