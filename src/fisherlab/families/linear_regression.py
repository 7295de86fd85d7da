"""Linear regression y = X beta + sigma eps, eps ~ N(0, 1); derived estimand sigma2.

The MLE of beta is OLS, (X'X)^{-1} X'y; the MLE of sigma² is RSS/n, whose
expectation is sigma² (n - k)/n with k the number of coefficients (intercept
included; ``design: {p: 2}`` has k = 3): the regression form of Bessel's correction,
RSS/(n - k) being unbiased (e.g. Greene, Econometric Analysis, sec. 4.3); ``mle_bias``
declares these exact biases. Observed information at the MLE:
X'X/sigma² for beta and 2n/sigma² for sigma (the cross term is X'e/sigma³ = 0 there).
The ``unbiased`` estimator gives OLS with t intervals, s² = RSS/(n-k) with its exact
chi²(n-k) interval, and sigma = s/c4 with c4 the normal E[s]/sigma for n-k degrees of
freedom. Covariates come from the study's ``model.design`` (see regression.py).
"""

import numpy as np
from scipy import stats

from ..core import densities
from ..core.numerics import safe_inv
from .base import Derived, Param, Point
from .normal import c4
from .registry import register
from .regression import RegressionFamily, parts, regression_data

SIGMA = Param("sigma", 0.0, typical=(0.5, 3.0), doc="error standard deviation")


def _sigma2_grad(t):
    # d sigma² / d(beta..., sigma) = (0, ..., 0, 2 sigma)
    s = np.asarray(t["sigma"], float)
    k = sum(1 for name in t if name.startswith("beta"))
    return np.concatenate([np.zeros(s.shape + (k,)), (2 * s)[..., None]], -1)


@register
class LinearRegression(RegressionFamily):
    name = "linear_regression"
    space = None
    doc = "y = X beta + N(0, sigma²) with covariates from model.design (default one N(0,1))"
    params = RegressionFamily.coefficient_params(True, RegressionFamily.covariates) + (SIGMA,)
    derived = (Derived("sigma2", lambda t: np.asarray(t["sigma"], float) ** 2, _sigma2_grad,
                       doc="error variance sigma^2"),)
    min_n = 3
    exponential_family = True

    def configure(self, design):
        cls = self.specialise(design, (SIGMA,))
        # t intervals for the coefficients, chi-square for sigma2 and sigma: all exact
        cls.unbiased_estimands = cls.exact_unbiased_intervals = (
            tuple(p.name for p in cls.params) + ("sigma2",))
        return cls()

    def sample(self, rng, theta, size):
        X = self.draw_X(rng, size)
        eps = rng.standard_normal(size)
        return regression_data(self.eta(X, theta) + np.asarray(theta["sigma"], float) * eps, X)

    def logpdf(self, data, theta):
        y, X = data["y"], data["X"]
        return densities.logpdf(stats.norm, y, loc=self.eta(X, theta), scale=theta["sigma"])

    # PyMC form (map, posterior): Normal(0, tau) priors on the coefficients make the
    # MAP given sigma the ridge estimate: maximising -|y - X b|^2/(2 sigma^2)
    # - |b|^2/(2 tau^2) gives (X'X + (sigma^2/tau^2) I) b = X'y, lambda = sigma^2/tau^2
    # (Hoerl & Kennard 1970; Hastie, Tibshirani & Friedman, ESL sec. 3.4.1)
    def pymc_data(self, data):
        """The structured datasets as one float array (..., n, 1 + p): y, then X."""
        y, X = parts(data)
        return np.concatenate([y[..., None], X], axis=-1)

    def pymc_likelihood(self, theta, x, theta_fixed):
        import pymc as pm  # imported here: PyMC costs seconds to import

        data = pm.Data("x", np.asarray(x, dtype="float64"))  # (n, 1 + p) or (R, n, 1 + p)
        mu = sum(theta[nm] * data[..., j + 1] for j, nm in enumerate(self.coefficients()))
        pm.Normal("obs", mu=mu, sigma=theta["sigma"], observed=data[..., 0])
        return data

    def _ols(self, data):
        y, X = parts(data)
        xtx = np.einsum("rni,rnj->rij", X, X)
        xtx_inv = np.linalg.pinv(xtx, hermitian=True)
        full = np.linalg.matrix_rank(xtx, hermitian=True) == X.shape[-1]
        beta = np.einsum("rij,rnj,rn->ri", xtx_inv, X, y)  # normal equations X'X b = X'y
        resid = y - np.einsum("rnj,rj->rn", X, beta)
        beta[~full] = np.nan
        return beta, xtx, xtx_inv, (resid**2).sum(-1)

    def mle(self, data, theta_fixed, level):
        n = data.shape[1]
        beta, xtx, _, rss = self._ols(data)
        sigma = np.sqrt(rss / n)  # MLE: RSS/n, E = sigma² (n-k)/n
        k = beta.shape[1]
        info = np.zeros((len(rss), k + 1, k + 1))
        info[:, :k, :k] = xtx / sigma[:, None, None] ** 2
        info[:, k, k] = 2 * n / sigma**2
        est = dict(zip(self.coefficients(), beta.T, strict=True))

        return Point({**est, "sigma": sigma}, cov=safe_inv(info))

    def unbiased(self, data, theta_fixed, level):
        n = data.shape[1]
        beta, _, xtx_inv, rss = self._ols(data)
        k = beta.shape[1]
        df = n - k
        s2 = rss / df  # E[RSS] = sigma² (n - k)
        s = np.sqrt(s2)
        alpha = 1.0 - level
        se_b = s[:, None] * np.sqrt(np.diagonal(xtx_inv, axis1=1, axis2=2))
        half = stats.t.ppf(1 - alpha / 2, df) * se_b  # (b - beta)/se ~ t(n-k)
        q_lo, q_hi = stats.chi2.ppf([alpha / 2, 1 - alpha / 2], df)  # RSS/sigma² ~ chi²(n-k)
        var_lo, var_hi = rss / q_hi, rss / q_lo
        kk = c4(df + 1)  # c4(m) is E[s]/sigma with m-1 degrees of freedom
        names = self.coefficients()
        return Point(
            {**dict(zip(names, beta.T, strict=True)), "sigma2": s2, "sigma": s / kk},
            se={**dict(zip(names, se_b.T, strict=True)), "sigma2": s2 * np.sqrt(2.0 / df),
                "sigma": (s / kk) * np.sqrt(1.0 / kk**2 - 1.0)},
            interval={**{nm: (beta[:, j] - half[:, j], beta[:, j] + half[:, j])
                         for j, nm in enumerate(names)},
                      "sigma2": (var_lo, var_hi), "sigma": (np.sqrt(var_lo), np.sqrt(var_hi))})

    def mle_bias(self, estimand, theta, n):
        """OLS is unbiased; RSS/sigma² ~ chi²(n - k) with k coefficients (intercept
        included) gives E[RSS/n] = (n - k) sigma²/n, a bias of -k sigma²/n, and
        E[sqrt(RSS/n)] = sigma sqrt((n - k)/n) c4(n - k + 1) (c4(m): E[s]/sigma with m - 1
        degrees of freedom)."""
        k = len(self.coefficients())
        sigma = float(theta["sigma"])
        if estimand in self.coefficients():
            return 0.0
        if estimand == "sigma2":
            return -k * sigma**2 / n
        if estimand == "sigma":
            return sigma * (float(c4(n - k + 1)) * np.sqrt((n - k) / n) - 1.0)
        return None

    def fisher_information(self, theta):
        sigma = np.asarray(theta["sigma"], float)
        m2 = self.second_moments()
        k = m2.shape[0]
        info = np.zeros(sigma.shape + (k + 1, k + 1))
        info[..., :k, :k] = m2 / sigma[..., None, None] ** 2  # E[x x']/sigma²
        info[..., k, k] = 2.0 / sigma**2
        return info


LinearRegression.unbiased_estimands = LinearRegression.exact_unbiased_intervals = (
    tuple(p.name for p in LinearRegression.params) + ("sigma2",))
