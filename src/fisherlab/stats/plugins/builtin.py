"""The built-in measures beyond summary.csv's, each declared once and registered by
name (:mod:`.base`). With e_i = theta_hat_i - theta_i the errors of the S replicates
that gave an estimate:

* ``median_bias``: median e_i; MCSE the median's asymptotic SE (:func:`.mcse.median_se`)
* ``trimmed_bias`` (``trim`` = 0.1): the mean of e_i with the fraction ``trim`` cut
  from each end; MCSE s_w / ((1 - 2 trim) sqrt(S)), s_w the SD of the e_i winsorised
  at the same fractions (Tukey & McLaughlin 1963; Wilcox 2012, 3.6)
* ``winsorised_bias`` (``trim`` = 0.1): the mean of e_i with the fraction ``trim`` at
  each end set to the nearest value kept; MCSE by the jackknife
* ``median_abs_error``: median |e_i|; MCSE the median's asymptotic SE of the |e_i|
* ``relative_bias``: bias / theta (fixed truths only); MCSE MCSE(bias) / |theta|
* ``relerr_modelse``: relative error of the model SE, 100 (modSE / empSE - 1), modSE
  = sqrt(mean se_i^2), with its MCSE: Morris et al. (2019) Table 6, computed by
  :func:`fisherlab.stats.measures.performance`, the one place of that formula
* ``rejection_rate`` (``alpha`` = 0.05): the share of replicates whose two-sided Wald
  test of H0: theta = theta_i rejects at level alpha, |e_i| / se_i > z_(1 - alpha/2),
  with the row's own SE: 1 - the coverage of the Wald interval at level 1 - alpha;
  MCSE sqrt(p (1 - p) / S)
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..measures import performance
from .base import Cell, measure, register
from .mcse import median_se

TRIM = {"trim": 0.1}
TRIM_BOUNDS = {"trim": (0.0, 0.5)}


def _sorted_cut(e: np.ndarray, trim: float) -> int:
    """How many values each end loses: floor(trim S), as scipy.stats.trim_mean."""
    return int(trim * e.size)


@measure("median_bias", label="median bias", smooth=False, work=3)
def median_bias(cell: Cell) -> float:
    """The median of the errors: bias robust to a few wild estimates."""
    return float(np.median(cell.error)) if cell.size else float("nan")


register(median_bias.with_closed_form(lambda cell, value: median_se(cell.error)))


@measure("trimmed_bias", label="trimmed bias ({trim:.0%} each end)", args=TRIM,
         bounds=TRIM_BOUNDS, work=3)
def trimmed_bias(cell: Cell, trim: float = 0.1) -> float:
    """The mean error with the fraction ``trim`` cut from each end."""
    return float(stats.trim_mean(cell.error, trim)) if cell.size else float("nan")


def _winsorised(e: np.ndarray, trim: float) -> np.ndarray:
    g = _sorted_cut(e, trim)
    s = np.sort(e)
    return np.clip(e, s[g], s[e.size - 1 - g]) if e.size else e


def _trimmed_mcse(cell: Cell, value: float, trim: float = 0.1) -> float:
    e = cell.error
    if e.size < 2:
        return float("nan")
    # Var(trimmed mean) ~ sigma_w^2 / ((1 - 2 trim)^2 S), sigma_w the winsorised SD
    return float(_winsorised(e, trim).std(ddof=1) / ((1 - 2 * trim) * np.sqrt(e.size)))


register(trimmed_bias.with_closed_form(_trimmed_mcse))


@register
@measure("winsorised_bias", label="winsorised bias ({trim:.0%} each end)", args=TRIM,
         bounds=TRIM_BOUNDS, work=3)
def winsorised_bias(cell: Cell, trim: float = 0.1) -> float:
    """The mean error with the fraction ``trim`` at each end pulled in to the nearest
    value kept."""
    return float(_winsorised(cell.error, trim).mean()) if cell.size else float("nan")


@measure("median_abs_error", label="median absolute error", smooth=False, work=3)
def median_abs_error(cell: Cell) -> float:
    """The median of |error|: a typical error, robust to a few wild estimates."""
    return float(np.median(np.abs(cell.error))) if cell.size else float("nan")


register(median_abs_error.with_closed_form(
    lambda cell, value: median_se(np.abs(cell.error))))


def _morris(cell: Cell) -> dict:
    truth = cell.truth[0] if cell.fixed_truth and cell.size else cell.truth
    return performance(cell.estimate, truth, cell.se)


@measure("relative_bias", label="relative bias (bias / truth)")
def relative_bias(cell: Cell) -> float:
    """Bias as a fraction of the true value (a fixed, non-zero truth only)."""
    return float(_morris(cell)["rel_bias"]) if cell.fixed_truth else float("nan")


register(relative_bias.with_closed_form(
    lambda cell, value: float(_morris(cell)["bias_mcse"] / abs(cell.truth[0]))
    if cell.fixed_truth and cell.size and cell.truth[0] != 0 else float("nan")))


@measure("relerr_modelse", label="relative error of model SE (%)", columns=("se",))
def relerr_modelse(cell: Cell) -> float:
    """100 (modSE / empSE - 1): how far the model's SE is from the spread it claims."""
    return float(_morris(cell)["relerr_modelse"])


register(relerr_modelse.with_closed_form(
    lambda cell, value: float(_morris(cell)["relerr_modelse_mcse"])))


@measure("rejection_rate", label="Wald rejection rate at α = {alpha:g}",
         args={"alpha": 0.05}, bounds={"alpha": (0.0, 1.0)}, columns=("se",))
def rejection_rate(cell: Cell, alpha: float = 0.05) -> float:
    """The share of two-sided Wald tests of H0: theta = truth that reject at ``alpha``."""
    z = cell.error / cell.se
    if not cell.size or not np.all(np.isfinite(z) | (cell.error == 0)):
        return float("nan")
    return float(np.mean(np.abs(z) > stats.norm.isf(alpha / 2)))


def _share_mcse(cell: Cell, value: float, **_) -> float:
    return float(np.sqrt(value * (1 - value) / cell.size)) if cell.size else float("nan")


register(rejection_rate.with_closed_form(_share_mcse))
