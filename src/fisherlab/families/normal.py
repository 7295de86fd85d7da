"""Normal(mu, sigma), with the derived estimand sigma2 = sigma^2.

The MLE of sigma2 is the 1/n sample variance, biased by -sigma^2/n; Bessel's
correction (1/(n-1)) makes it unbiased but increases its MSE: MSE(1/n) =
(2n-1) sigma^4 / n^2 < MSE(1/(n-1)) = 2 sigma^4 / (n-1). The `unbiased` estimator
gives the exact t interval for mu and chi-square intervals for sigma2 and sigma.
"""

import numpy as np
from scipy import special, stats

from ..core import densities
from .base import Derived, Family, Param, Point
from .registry import register


def c4(n):
    """E[s]/sigma for a normal sample of size n: sqrt(2/(n-1)) Γ(n/2)/Γ((n-1)/2)."""
    n = np.asarray(n, dtype=float)
    return np.sqrt(2.0 / (n - 1)) * np.exp(special.gammaln(n / 2) - special.gammaln((n - 1) / 2))


@register
class Normal(Family):
    name = "normal"
    doc = "Gaussian with mean mu and standard deviation sigma"
    params = (
        Param("mu", typical=(-5.0, 5.0), doc="mean"),
        Param("sigma", 0.0, typical=(0.5, 3.0), doc="standard deviation"),
    )
    derived = (
        Derived("sigma2", lambda t: np.asarray(t["sigma"], dtype=float) ** 2,
                lambda t: np.stack(np.broadcast_arrays(
                    0.0, 2.0 * np.asarray(t["sigma"], dtype=float)), axis=-1),
                doc="variance sigma^2"),
    )
    min_n = 2
    mom_moments = 2
    exponential_family = True
    unbiased_estimands = ("mu", "sigma", "sigma2")
    exact_unbiased_intervals = ("mu", "sigma", "sigma2")  # t and chi-square pivots

    def sample(self, rng, theta, size):
        return rng.normal(theta["mu"], theta["sigma"], size=size)

    def logpdf(self, x, theta):
        return densities.logpdf(stats.norm, x, loc=theta["mu"], scale=theta["sigma"])

    def sufficient(self, x, theta_fixed):
        # n, the mean and the centred sum of squares (no cancellation in sum (x - mu)^2),
        # and the values that are not finite
        x = np.asarray(x, float)
        m = x.mean(-1)
        return np.stack([np.full(m.shape, x.shape[-1], float), m,
                         np.sum((x - m[..., None]) ** 2, -1),
                         np.sum(~np.isfinite(x), -1)], -1)

    def loglik_sufficient(self, t, theta):
        n, m, ss, bad = (t[..., j] for j in range(4))
        mu, sigma = (np.asarray(theta[k], float) for k in ("mu", "sigma"))
        ll = (-n * (np.log(sigma) + 0.5 * np.log(2 * np.pi))
              - (ss + n * (m - mu) ** 2) / (2 * sigma**2))
        return np.where(bad > 0, -np.inf, ll)

    def score(self, x, theta):
        # d/dmu = sum(x - mu)/sigma^2; d/dsigma = -n/sigma + sum(x - mu)^2/sigma^3
        mu, sigma = (np.asarray(theta[k], float)[..., None] for k in ("mu", "sigma"))
        d = x - mu
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.stack([d.sum(-1) / sigma[..., 0] ** 2,
                             -x.shape[-1] / sigma[..., 0] + (d**2).sum(-1) / sigma[..., 0] ** 3],
                            -1)

    def pymc_likelihood(self, theta, x, theta_fixed):
        import pymc as pm  # imported here: PyMC costs seconds to import

        data = pm.Data("x", np.asarray(x, dtype="float64"))
        pm.Normal("obs", mu=theta["mu"], sigma=theta["sigma"], observed=data)
        return data

    def mle(self, x, theta_fixed, level):
        # score: sum(x - mu)/sigma^2 = 0 and -n/sigma + sum(x - mu)^2/sigma^3 = 0
        return Point({"mu": x.mean(axis=1), "sigma": x.std(axis=1, ddof=0)})

    def pseudo_true(self, expect, theta_fixed):
        # E[d/dmu log f] = (E[X] - mu)/sigma^2 = 0 and E[d/dsigma log f] =
        # -1/sigma + E[(X - mu)^2]/sigma^3 = 0  =>  mu* = E[X], sigma*^2 = Var X
        mu = expect(lambda x: x)
        return {"mu": mu, "sigma": float(np.sqrt(expect(lambda x: (x - mu) ** 2)))}

    def mom_from_moments(self, m, theta_fixed):
        return {"mu": m[..., 0], "sigma": np.sqrt(np.maximum(m[..., 1] - m[..., 0] ** 2, 0.0))}

    def mom_jacobian(self, m, theta_fixed):
        sigma = np.sqrt(np.maximum(m[..., 1] - m[..., 0] ** 2, 0.0))
        one, zero = np.ones_like(sigma), np.zeros_like(sigma)
        return {"mu": np.stack([one, zero], -1),
                "sigma": np.stack([-m[..., 0] / sigma, 0.5 / sigma], -1)}

    def exact_wald_rejection(self, estimand, theta, n, null, sides, level):
        # the MLE's Wald statistic W = (x̄ - mu0) / (σ̂/√n), σ̂ with divisor n, is
        # T sqrt(n/(n-1)) with T = (x̄ - mu0)/(s/√n) ~ noncentral t(n-1, δ), δ =
        # (mu - mu0)√n/σ: W > c exactly when T > c sqrt((n-1)/n). At δ = 0 the
        # two-sided size is 2 P(T_(n-1) > z sqrt((n-1)/n)): 0.1545 at n = 5 at 5%.
        if estimand != "mu":
            raise NotImplementedError(f"no exact Wald formula for {estimand}")
        delta = (float(theta["mu"]) - null) * np.sqrt(n) / float(theta["sigma"])
        q = 1 - level / 2 if sides == "two" else 1 - level
        c = float(stats.norm.ppf(q)) * np.sqrt((n - 1) / n)
        t = stats.nct(n - 1, delta) if delta != 0 else stats.t(n - 1)
        upper, lower = float(t.sf(c)), float(t.cdf(-c))
        return {"two": upper + lower, "greater": upper, "less": lower}[sides]

    def unbiased(self, x, theta_fixed, level):
        n = x.shape[1]
        alpha = 1.0 - level
        mean = x.mean(axis=1)
        s2 = x.var(axis=1, ddof=1)  # Bessel's correction: E[s^2] = sigma^2
        s = np.sqrt(s2)
        # (n-1) s^2 / sigma^2 ~ chi2(n-1): the exact interval for sigma^2 and sigma
        q_lo, q_hi = stats.chi2.ppf([alpha / 2, 1 - alpha / 2], n - 1)
        var_lo, var_hi = (n - 1) * s2 / q_hi, (n - 1) * s2 / q_lo
        # (mean - mu) / (s / sqrt(n)) ~ t(n-1): the exact interval for mu
        half = stats.t.ppf(1 - alpha / 2, n - 1) * s / np.sqrt(n)
        k = c4(n)
        return Point(
            {"mu": mean, "sigma2": s2, "sigma": s / k},
            se={"mu": s / np.sqrt(n),
                # Var(s^2) = 2 sigma^4 / (n-1);  Var(s/c4) = sigma^2 (1/c4^2 - 1)
                "sigma2": s2 * np.sqrt(2.0 / (n - 1)),
                "sigma": (s / k) * np.sqrt(1.0 / k**2 - 1.0)},
            interval={"mu": (mean - half, mean + half),
                      "sigma2": (var_lo, var_hi),
                      "sigma": (np.sqrt(var_lo), np.sqrt(var_hi))},
        )

    def fisher_information(self, theta):
        sigma = np.asarray(theta["sigma"], dtype=float)
        info = np.zeros(sigma.shape + (2, 2))
        info[..., 0, 0] = 1.0 / sigma**2
        info[..., 1, 1] = 2.0 / sigma**2
        return info

    def mle_bias(self, estimand, theta, n):
        """The mean is unbiased; E[1/n variance] = (n-1)/n sigma^2 gives -sigma^2/n;
        E[s] = c4(n) sigma gives the bias of sqrt((n-1)/n) s."""
        sigma = float(theta["sigma"])
        if estimand == "mu":
            return 0.0
        if estimand == "sigma2":
            return -sigma**2 / n
        if estimand == "sigma":
            return sigma * (float(c4(n)) * np.sqrt((n - 1) / n) - 1.0)
        return None

    mom_bias = mle_bias  # mle and mom coincide: the mean and the 1/n variance
