"""The search engine: numpy, scipy and sympy only (importable without torch)."""

from .engine import SearchSettings, run_search
from .operators import OPERATORS, Operator, make_operator

__all__ = ["OPERATORS", "Operator", "make_operator", "SearchSettings", "run_search"]
