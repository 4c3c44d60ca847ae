import numpy as np
import pytest
from scipy.stats import spearmanr

from sksymgrad.benchmarks import Task, get_task, list_tasks, make_task_data, recovered, register_task
from sksymgrad.benchmarks.runner import format_table, run_benchmark
from sksymgrad.benchmarks.tasks import TASKS


def test_registry_has_the_public_tasks():
    assert len(list_tasks("classifier")) == 6 and len(list_tasks("latent")) == 6
    with pytest.raises(KeyError, match="did you mean 'gravity'"):
        get_task("gravty")


def test_users_can_register_tasks():
    task = Task("my_ratio", "classifier", "p/q", {"p": (1, 2), "q": (1, 2)})
    try:
        register_task(task)
        assert get_task("my_ratio").expression.free_symbols == set(task.symbols)
        with pytest.raises(ValueError, match="already registered"):
            register_task(task)
    finally:
        TASKS.pop("my_ratio", None)


@pytest.mark.parametrize("name", list_tasks("latent"))
def test_latent_generators_keep_only_the_invariant(name):
    task = get_task(name)
    X, groups, level = make_task_data(name, n_samples=400, random_state=0)
    assert level is None and X.columns.tolist() == task.variables
    values = task.values(X.to_numpy())
    spread = max(np.ptp(values[groups == g]) for g in np.unique(groups))
    assert spread < 1e-6
    assert np.std([values[groups == g][0] for g in np.unique(groups)]) > 0.1
    lo = np.array([b[0] for b in task.domain.values()])
    hi = np.array([b[1] for b in task.domain.values()])
    assert np.all((X.to_numpy() >= lo - 1e-9) & (X.to_numpy() <= hi + 1e-9))


def test_trace3_groups_share_nothing_but_the_trace():
    X, groups, _ = make_task_data("trace3", n_samples=400, random_state=0)
    X = X.to_numpy()
    det = np.linalg.det(X.reshape(-1, 3, 3))
    assert max(np.ptp(det[groups == g]) for g in np.unique(groups)) > 0.1


def test_classifier_data_is_balanced_at_the_median():
    X, y, level = make_task_data("gravity", n_samples=1000, random_state=0)
    assert abs(y.mean() - 0.5) < 0.01
    assert level == pytest.approx(np.median(get_task("gravity").values(X.to_numpy())))


def test_recovery_check():
    dom = get_task("circle").domain
    assert recovered("x**2 + y**2", "x**2 + y**2", dom)
    assert recovered("log(1 + x**2 + y**2)", "x**2 + y**2", dom)  # monotone transform
    assert not recovered("x**2 + 2*y**2", "x**2 + y**2", dom)  # wrong concept
    assert not recovered("x - x", "x**2 + y**2", dom)  # degenerate: zero gradient counts as 1
    grav = get_task("gravity")
    # One threshold: on the level set m1*m2/r**2 = 4 the two are the same classifier.
    assert recovered("m1*m2 - 4*r**2", grav.expression, grav.domain, level=4.0)
    assert not recovered("m1*m2 - 4*r**2", grav.expression, grav.domain)


def test_runner_smoke_two_tasks():
    df = run_benchmark(["circle", "det2"], modes=("exact", "noisy"), budget=10, progress=False)
    assert df["recovered"].all(), df
    table = format_table(df)
    assert "exact: 2/2 recovered" in table and "noisy: 2/2 recovered" in table
    assert (df["search_seconds"] <= df["seconds"]).all() and not df["timed_out"].any()
    assert "0 search(es) stopped at the budget" in table


def test_runner_reports_the_searches_the_budget_cut_short():
    from sksymgrad.benchmarks.runner import summary_line

    df = run_benchmark(["I.44.4"], modes=("exact",), suite="feynman", budget=0.05, progress=False)
    assert df["timed_out"].all()
    assert "1 search(es) stopped at the budget" in summary_line(df, "exact")


def test_siamese_latent_is_monotone_in_the_invariant():
    from sksymgrad import SiameseEmbedder

    task = get_task("det2")
    X, groups, _ = make_task_data("det2", n_samples=1000, random_state=0)
    emb = SiameseEmbedder(max_epochs=60, random_state=0).fit(X, groups)
    rho = spearmanr(emb.transform(X)[:, 0], task.values(X.to_numpy())).statistic
    assert abs(rho) > 0.95


@pytest.mark.parametrize(
    "groups, message",
    [
        (np.zeros(20), "single group"),
        (np.arange(20), "single sample"),
        (np.r_[np.full(10, np.nan), np.zeros(10)], "NaN"),
    ],
)
def test_siamese_bad_groups(groups, message):
    from sksymgrad import SiameseEmbedder

    with pytest.raises(ValueError, match=message):
        SiameseEmbedder(max_epochs=1).fit(np.random.rand(20, 2), groups)


def test_feynman_suite_has_the_table_s_equations():
    from sksymgrad.benchmarks.feynman import parse_feynman_formula
    from sksymgrad.benchmarks.tasks import list_suites

    names = list_tasks(suite="feynman")
    assert len(names) == 50 and "I.6.2a" not in names  # one variable: no direction to test
    assert {"public", "feynman"} <= set(list_suites())
    task = get_task("I.39.11")
    assert task.variables == ["gamma", "pr", "V"] and task.kind == "classifier"
    assert task.expression.equals(parse_feynman_formula("1/(gamma-1)*pr*V", task.variables))
    assert str(get_task("I.26.2").expression) == "asin(n*sin(theta2))"
    X, y, level = make_task_data("I.12.1", n_samples=500, random_state=0)
    assert set(np.unique(y)) == {0, 1} and abs(y.mean() - 0.5) < 0.01


def test_runner_reports_rates_over_seeds():
    from sksymgrad.benchmarks.runner import format_seed_matrix, summary_line

    df = run_benchmark(["I.12.1"], modes=("exact",), seeds=(0, 1), suite="feynman", budget=10, progress=False)
    assert df["seed"].tolist() == [0, 1] and df["recovered"].all()
    assert "seed 0: 1/1, seed 1: 1/1; rate 100.0% +- 0.0%" in summary_line(df, "exact")
    assert "| I.12.1 | exact | `Nn*mu` | yes | yes |" in format_seed_matrix(df)


def test_runner_passes_the_strategies_to_every_search(monkeypatch, tmp_path):
    from sksymgrad.benchmarks import runner

    seen = []
    regressor = runner._regressor

    def recording(budget, random_state, **kw):
        seen.append(kw.get("strategies"))
        return regressor(budget, random_state, **kw)

    monkeypatch.setattr(runner, "_regressor", recording)
    runner.main(["--tasks", "circle", "--strategies", "linear", "--json", str(tmp_path / "rows.json")])
    runner.main(["--tasks", "circle"])
    assert seen == [("linear",), None]
    with pytest.raises(SystemExit):
        runner.main(["--tasks", "circle", "--strategies", "gradient"])
