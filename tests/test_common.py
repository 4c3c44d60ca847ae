"""scikit-learn's common estimator checks on every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sksymgrad import GradientSymbolicInterpreter, SymbolicGradientRegressor
from sksymgrad.networks import AutoencoderEmbedder, MLPNet, SiameseEmbedder
from sksymgrad.utils.discovery import all_estimators

FAST_REGRESSOR = dict(max_time=5, niterations=2, populations=1, population_size=10, max_terms=3)


def _instances():
    """Every public estimator, constructed with tiny budgets."""
    made = {
        "SymbolicGradientRegressor": SymbolicGradientRegressor(random_state=0, **FAST_REGRESSOR),
        "GradientSymbolicInterpreter": GradientSymbolicInterpreter(
            net=MLPNet(max_epochs=2, hidden_units=(8,)),
            regressor=SymbolicGradientRegressor(strategies=("linear",), **FAST_REGRESSOR),
            n_points=60,
            random_state=0,
        ),
        "MLPNet": MLPNet(max_epochs=2, hidden_units=(8,), random_state=0),
        "SiameseEmbedder": SiameseEmbedder(max_epochs=2, hidden_units=(8,), random_state=0),
        "AutoencoderEmbedder": AutoencoderEmbedder(max_epochs=2, hidden_units=(8,), random_state=0),
    }
    names = [name for name, _ in all_estimators()]
    missing = set(names) - set(made)
    assert not missing, f"add a fast instance for {missing}"
    return [made[n] for n in names]


@parametrize_with_checks(_instances())
def test_sklearn_compatible(estimator, check):
    check(estimator)
