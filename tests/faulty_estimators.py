"""Test-only estimators that fail on purpose, loaded with FISHERLAB_PLUGINS.

    FISHERLAB_PLUGINS=tests.faulty_estimators   (with the repository root on PYTHONPATH)

``faulty`` estimates the normal family's mu and sigma by the sample mean and the sample
standard deviation (ddof=0, the MLE) through the per-dataset path
(:func:`fisherlab.estimators.base.fit_each`), and misbehaves on every dataset whose first
observation lies below ``threshold``: it raises, returns NaN or inf, or sleeps for
``sleep`` seconds. Which replicates fail is therefore known exactly from the data.
``broken`` raises for the whole batch.
"""

from __future__ import annotations

import time

import numpy as np

from fisherlab.estimators import register
from fisherlab.estimators.base import Estimator, OneFit, fit_each


@register
class Faulty(Estimator):
    name = "faulty"
    doc = "sample mean and SD that fail on purpose when x[0] < threshold (tests only)"
    options_schema = {
        "mode": {"enum": ["raise", "nan", "inf", "sleep"]},
        "threshold": {"type": "number"},
        "sleep": {"type": "number", "minimum": 0},
    }

    @classmethod
    def applies_to(cls, family) -> bool:
        return family.name == "normal"

    def point(self, family, x, theta_fixed, level):
        mode = self.options.get("mode", "raise")
        threshold = float(self.options.get("threshold", 0.0))
        pause = float(self.options.get("sleep", 1.0))

        def fit_one(row: np.ndarray) -> OneFit:
            mu, sigma = float(row.mean()), float(row.std())
            if row[0] < threshold:
                if mode == "raise":
                    raise FloatingPointError("planted failure")
                if mode == "nan":
                    mu = float("nan")
                elif mode == "inf":
                    sigma = float("inf")
                else:
                    time.sleep(pause)
            return OneFit({"mu": mu, "sigma": sigma})

        return fit_each(fit_one, x, ["mu", "sigma"])


@register
class Broken(Estimator):
    name = "broken"
    doc = "raises for the whole batch (tests only)"

    @classmethod
    def applies_to(cls, family) -> bool:
        return family.name == "normal"

    def point(self, family, x, theta_fixed, level):
        raise RuntimeError("this estimator is broken")
