"""Find the public estimators of sksymgrad (for the common-check tests)."""

import inspect

from sklearn.base import BaseEstimator

__all__ = ["all_estimators"]


def all_estimators():
    """``[(name, class)]`` of every public estimator class in sksymgrad."""
    import sksymgrad
    import sksymgrad.networks

    found = {}
    for module in (sksymgrad, sksymgrad.networks):
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
                found[name] = obj
    return sorted(found.items())
