"""Logistic regression P(y = 1 | x) = expit(x' beta).

The MLE has no closed form; Newton-Raphson, which for the canonical logit link is
IRLS (McCullagh & Nelder 1989, sec. 4.4): beta += (X'WX)^{-1} X'(y - mu) with
W = diag(mu(1-mu)), started at beta = 0 (as statsmodels), run on every replicate of
the chunk at once. The observed information X'WX at the optimum gives Wald intervals.

The MLE does not exist under complete or quasi-complete separation (Albert &
Anderson 1984): some b != 0 has s_i x_i'b >= 0 for every i, with s_i = 2 y_i - 1
(> 0 for every i: complete). Replicates where IRLS did not settle, or fitted
probabilities reached 0 or 1, are checked by the linear programs of Konis (2007)
with ``scipy.optimize.linprog``; a separated replicate is recorded as a failed fit
with that reason.
"""

import numpy as np
from scipy import optimize, special

from ..core.numerics import safe_inv
from .base import Point
from .registry import register
from .regression import RegressionFamily, parts, regression_data


def separation(X: np.ndarray, y: np.ndarray) -> str:
    """'complete', 'quasi-complete' or '' for one dataset (X (n, p), y (n,))."""
    Z = (2 * y - 1)[:, None] * X
    p = X.shape[1]
    # quasi-complete or complete: max sum(Z b) subject to Z b >= 0, -1 <= b <= 1, is > 0
    lp = optimize.linprog(-Z.sum(0), A_ub=-Z, b_ub=np.zeros(len(y)), bounds=[(-1, 1)] * p,
                          method="highs")
    if not lp.success or -lp.fun <= 1e-9 * max(1.0, np.abs(Z).sum()):
        return ""
    # complete: max t subject to Z b >= t, t <= 1, is > 0
    c = np.zeros(p + 1)
    c[-1] = -1.0
    A = np.hstack([-Z, np.ones((len(y), 1))])
    lp2 = optimize.linprog(c, A_ub=A, b_ub=np.zeros(len(y)), bounds=[(-1, 1)] * p + [(None, 1)],
                           method="highs")
    return "complete" if lp2.success and -lp2.fun > 1e-9 else "quasi-complete"


@register
class LogisticRegression(RegressionFamily):
    name = "logistic_regression"
    doc = "binary y with P(y=1) = expit(X beta); covariates from model.design"
    params = RegressionFamily.coefficient_params(True, RegressionFamily.covariates)
    min_n = 3

    def configure(self, design):
        return self.specialise(design)()

    def sample(self, rng, theta, size):
        X = self.draw_X(rng, size)
        u = rng.random(size)
        return regression_data((u < special.expit(self.eta(X, theta))).astype(float), X)

    def logpdf(self, data, theta):
        # log expit(eta) = -log(1 + e^-eta) for y = 1, log expit(-eta) for y = 0: the
        # Bernoulli log-mass without forming the probability (stable, and fast enough
        # for the Hessians and profiles evaluated on every replicate)
        y, eta = data["y"], self.eta(data["X"], theta)
        return np.where(y == 1, -np.logaddexp(0.0, -eta),
                        np.where(y == 0, -np.logaddexp(0.0, eta), -np.inf))

    def score(self, data, theta):
        y, X = data["y"], data["X"]
        mu = special.expit(self.eta(X, {k: np.asarray(v)[..., None] for k, v in theta.items()}))
        return np.einsum("...nj,...n->...j", X, y - mu)

    def observed_information(self, data, theta):
        # -d^2 loglik = X'WX, W = mu (1 - mu): at any beta (the canonical link)
        X = data["X"]
        mu = special.expit(self.eta(X, {k: np.asarray(v)[..., None] for k, v in theta.items()}))
        return np.einsum("...ni,...n,...nj->...ij", X, mu * (1.0 - mu), X)

    def mle_batched(self, data, theta_fixed, *, tol, maxiter, starts):
        y, X = parts(data)
        R, n, p = X.shape
        maxiter = maxiter or 50
        beta = np.zeros((R, p))
        if np.all(X[..., 0] == 1.0):
            # start at the intercept-only MLE, logit(y_bar) (kept off 0 and 1), as glm's
            # IRLS does in spirit: one to two Newton steps fewer than starting at 0
            ybar = np.clip(y.mean(axis=1), 0.5 / n, 1 - 0.5 / n)
            beta[:, 0] = special.logit(ybar)
        iters = np.zeros(R, np.int64)
        conv = np.zeros(R, bool)
        singular = np.zeros(R, bool)
        XT = np.ascontiguousarray(np.swapaxes(X, 1, 2))  # (R, p, n)
        active = np.ones(R, bool)
        for _ in range(maxiter):
            if not active.any():
                break
            idx = np.flatnonzero(active)
            # the replicates still moving (all of them, uncopied, on the first sweeps)
            sub = slice(None) if idx.size == R else idx
            Xa, XTa, ya = X[sub], XT[sub], y[sub]
            mu = special.expit(np.matmul(Xa, beta[sub][..., None])[..., 0])
            H = np.matmul(XTa, Xa * (mu * (1 - mu))[..., None])  # X'WX
            g = np.matmul(XTa, (ya - mu)[..., None])[..., 0]  # score X'(y - mu)
            step, ok = _solve(H, g)
            singular[idx[~ok]] = True
            beta[idx[ok]] += step[ok]
            iters[idx] += 1
            size = np.max(np.abs(step), axis=-1)
            done = ok & (size <= tol * (1.0 + np.max(np.abs(beta[idx]), axis=-1)))
            conv[idx[done]] = True
            active[idx[done | ~ok]] = False
        mu = special.expit(np.matmul(X, beta[..., None])[..., 0])
        H = np.matmul(np.swapaxes(X, 1, 2), X * (mu * (1 - mu))[..., None])
        reason = np.full(R, "", dtype=object)
        reason[~conv] = "IRLS did not converge within maxiter iterations"
        reason[singular] = "information matrix X'WX singular"
        # fitted probabilities at 0 or 1 or no convergence: check for separation
        extreme = np.min(np.minimum(mu, 1 - mu), axis=-1) < 1e-10
        for i in np.flatnonzero(~conv | extreme):
            kind = separation(X[i], y[i])
            if kind:
                reason[i] = f"{kind} separation: the MLE does not exist"
                conv[i] = False

        return Point(dict(zip(self.coefficients(), beta.T, strict=True)), cov=safe_inv(H),
                     converged=conv, reason=reason, iterations=iters)


def _solve(H, g):
    """Newton steps H^{-1} g for a stack; ok=False where H is singular."""
    ok = np.ones(len(H), bool)
    try:
        return np.linalg.solve(H, g[..., None])[..., 0], ok
    except np.linalg.LinAlgError:
        out = np.zeros_like(g)
        for i in range(len(H)):
            try:
                out[i] = np.linalg.solve(H[i], g[i])
            except np.linalg.LinAlgError:
                ok[i] = False
        return out, ok
