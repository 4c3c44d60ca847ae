"""The AI Feynman "I." equations as a concept-recovery suite.

The table (Udrescu & Tegmark, Science Advances 2020; also used by SRBench)
ships as package data, unchanged. Each equation with two or more variables
becomes a classifier :class:`~sksymgrad.benchmarks.Task` of the suite
``"feynman"``: label = formula > its median on uniform draws of the ranges,
judged on that decision level set (network mode) or on the whole box
(analytic gradients). ``I.6.2a`` has one variable, and every monotone
function of one variable has the same gradient direction, so it carries no
test and is left out.
"""

import csv
from importlib import resources

import sympy

__all__ = ["load_feynman_tasks", "parse_feynman_formula"]

_FILE = "feynman_I.csv"


def parse_feynman_formula(formula, variables):
    """The table's formula as a sympy expression of real symbols.

    The table writes unary minus as ``~`` and the natural log and arcsine as
    ``ln`` and ``arcsin``; variable names such as ``gamma`` or ``lambd`` must
    stay symbols, not sympy's functions.

    Examples
    --------
    >>> parse_feynman_formula("exp(~m*g*x/(kb*T))", ["m", "g", "x", "kb", "T"])
    exp(-g*m*x/(T*kb))
    """
    names = {v: sympy.Symbol(v, real=True) for v in variables}
    local = {"ln": sympy.log, "arcsin": sympy.asin, "pi": sympy.pi, "exp": sympy.exp, **names}
    return sympy.sympify(formula.replace("~", "-"), locals=local)


def _rows():
    with resources.files(__package__).joinpath("data", _FILE).open(newline="") as fh:
        yield from csv.DictReader(fh)


def load_feynman_tasks():
    """One :class:`~sksymgrad.benchmarks.Task` per equation of two or more variables.

    Variable names are read up to the first empty one (the table's
    ``# variables`` column is wrong in a few rows).
    """
    from .tasks import Task

    tasks = []
    for row in _rows():
        domain = {}
        for k in range(1, 11):
            name = (row.get(f"v{k}_name") or "").strip()
            if not name:
                break
            domain[name] = (float(row[f"v{k}_low"]), float(row[f"v{k}_high"]))
        if len(domain) < 2:
            continue
        expr = parse_feynman_formula(row["Formula"], list(domain))
        tasks.append(Task(row["Filename"], "classifier", sympy.sstr(expr), domain, suite="feynman"))
    return tasks
