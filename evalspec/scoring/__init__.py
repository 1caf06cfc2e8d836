"""Scoring: per-sample scorers (exact_match, numeric, code_exec) and metric aggregation."""

from evalspec.scoring.metrics import aggregate
from evalspec.scoring.results import Metric, Score, UnitResult
from evalspec.scoring.scorers import score_outputs

__all__ = ["Metric", "Score", "UnitResult", "aggregate", "score_outputs"]
