"""A multi-label linear classifier that follows scikit-learn's estimator contract.

With a 2-D 0/1 target it fits one calibrated logistic regression per column (an
indicator); with a 1-D target it is an ordinary calibrated classifier. `coef_` holds the
linear weights (averaged over calibration folds) so callers can explain predictions.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


class MultiLabelLinearClassifier(ClassifierMixin, BaseEstimator):
    """One calibrated logistic regression per label.

    Parameters
    ----------
    C : inverse regularisation strength of each logistic regression.
    class_weight : passed to LogisticRegression ("balanced" helps rare indicators).
    calibration : "sigmoid", "isotonic" or None (no calibration wrapper).
    cv : folds for calibration; a label with fewer positives than folds is calibrated
        with as many folds as it has positives (at least 2), else left uncalibrated.
    solver : LogisticRegression solver for binary problems (each label); liblinear is
        fastest on small sparse text data. Multiclass 1-D targets use lbfgs.
    max_iter : solver iterations.
    """

    def __init__(self, C=4.0, class_weight="balanced", calibration="sigmoid", cv=3,
                 solver="liblinear", max_iter=2000):
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.cv = cv
        self.solver = solver
        self.max_iter = max_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_label = True
        return tags

    def _base(self, n_classes: int):
        solver = self.solver if n_classes == 2 or self.solver != "liblinear" else "lbfgs"
        return LogisticRegression(C=self.C, class_weight=self.class_weight,
                                  solver=solver, max_iter=self.max_iter)

    def _fit_one(self, X, y):
        counts = np.unique(y, return_counts=True)[1]
        base = self._base(len(counts))
        folds = min(self.cv, int(counts.min())) if self.calibration else 0
        if folds < 2:
            return base.fit(X, y)
        # ensemble=False: one model on all the data, calibrated on cross-validated
        # predictions; a third of the size and prediction cost of the per-fold ensemble.
        model = CalibratedClassifierCV(clone(base), method=self.calibration, cv=folds,
                                       ensemble=False)
        return model.fit(X, y)

    def fit(self, X, y):
        X, y = validate_data(self, X, y, accept_sparse="csr", multi_output=True,
                             dtype=np.float64)
        y = np.asarray(y)
        self.multilabel_ = y.ndim == 2 and (y.shape[1] > 1 or set(np.unique(y)) <= {0, 1})
        if not self.multilabel_:
            y = y.ravel() if y.ndim == 2 else y
            check_classification_targets(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError("the target has only one class; a classifier needs two")
            self.estimators_ = [self._fit_one(X, y)]
        else:
            y = y.astype(int)
            if not set(np.unique(y)) <= {0, 1}:
                raise ValueError("a 2-D target must be a 0/1 label indicator matrix")
            self.classes_ = [np.array([0, 1]) for _ in range(y.shape[1])]
            self.estimators_ = []
            for column in y.T:
                if column.min() == column.max():
                    # A label never (or always) seen: predict its constant prior.
                    self.estimators_.append(float(column[0]))
                else:
                    self.estimators_.append(self._fit_one(X, column))
        self.coef_ = np.vstack([self._coef(e, X.shape[1]) for e in self.estimators_])
        self.n_iter_ = np.array([self._n_iter(e) for e in self.estimators_])
        return self

    @staticmethod
    def _n_iter(estimator) -> int:
        if isinstance(estimator, float):
            return 0
        if isinstance(estimator, CalibratedClassifierCV):
            return int(max(c.estimator.n_iter_.max() for c in estimator.calibrated_classifiers_))
        return int(estimator.n_iter_.max())

    @staticmethod
    def _coef(estimator, n_features):
        if isinstance(estimator, float):
            return np.zeros(n_features)
        if isinstance(estimator, CalibratedClassifierCV):
            return np.mean([c.estimator.coef_[0] for c in estimator.calibrated_classifiers_],
                           axis=0)
        return estimator.coef_[0]

    def predict_proba(self, X):
        """Multi-label: (n_samples, n_labels) probabilities of each label being present.
        Single-label: (n_samples, n_classes) as usual."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False, dtype=np.float64)
        if not self.multilabel_:
            return self.estimators_[0].predict_proba(X)
        columns = [np.full(X.shape[0], e) if isinstance(e, float) else e.predict_proba(X)[:, 1]
                   for e in self.estimators_]
        return np.column_stack(columns)

    def predict(self, X):
        proba = self.predict_proba(X)
        if not self.multilabel_:
            return self.classes_[np.argmax(proba, axis=1)]
        return (proba >= 0.5).astype(int)
