"""A real scikit-learn classifier that misbehaves on some inputs: the shadow-failure tests' challenger."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted


class FlakyClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the training prior; fails on ``column`` above ``high`` and drops a row below ``low``.

    Above ``high`` ``predict_proba`` raises KeyError (a lookup the model has no entry for); below
    ``low`` it answers one row short, a bug the serving code only finds when it logs the rows.
    """

    def __init__(self, column: str = "x", low: float = 0.0, high: float = 1.0) -> None:
        self.column, self.low, self.high = column, low, high

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        self.prior_ = float(np.mean(y == self.classes_[-1]))
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        values = X[self.column].to_numpy(dtype=float)
        if (values > self.high).any():
            raise KeyError(f"no bucket for {self.column} above {self.high}")
        n = len(X) - int((values < self.low).any())
        return np.column_stack([np.full(n, 1 - self.prior_), np.full(n, self.prior_)])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]
