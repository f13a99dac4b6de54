"""Key numbers: print a measurement and record it, so prose, tests and the README read the same value.

Every notebook (00-07) creates one `NotebookResults("NN_topic")` and calls `results.report(...)` for
each number its text relies on, `results.estimate(...)` for a score averaged over items (recorded with
its 95% CI and the per-item scores) and `results.claim(...)` for each "A beats B" claim (recorded with
its verdict, see `stats`). Everything lands in `<cache>/results/NN_topic.json`; the range tests in
`tests/notebooks/`, the course runner and the claims ledger (`tools/claims_ledger.py`) read that file.
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .paths import artifact_path, cache_lock, repo_root, write_text_atomic
from .stats import Claim, Comparison, Estimate, across_seeds, mean_ci, verdict
from .stats import claim as judge_claim


def results_path(notebook: str) -> Path:
    """Return the JSON file that holds a notebook's recorded numbers."""
    if not notebook or "/" in notebook or notebook.endswith(".ipynb"):
        raise ValueError(f"Name the notebook without folder or extension, e.g. '00_setup_and_map', got {notebook!r}.")
    return artifact_path("results", f"{notebook}.json")


def load_results(notebook: str) -> dict[str, dict[str, Any]]:
    """Return a notebook's recorded numbers: {name: {"value", "unit", "description", "recorded_at"}}."""
    path = results_path(notebook)
    if not path.exists():
        raise FileNotFoundError(f"No results recorded for {notebook} yet: run notebooks/{notebook}.ipynb first.")
    return json.loads(path.read_text(encoding="utf-8"))["metrics"]


def load_claims(notebook: str) -> dict[str, dict[str, Any]]:
    """Return a notebook's recorded claims: {name: {"statement", "effect", "low", "high", "n", "verdict", ...}}."""
    path = results_path(notebook)
    if not path.exists():
        raise FileNotFoundError(f"No results recorded for {notebook} yet: run notebooks/{notebook}.ipynb first.")
    return json.loads(path.read_text(encoding="utf-8")).get("claims", {})


def _format_value(value: float | int | str, unit: str) -> str:
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}" if abs(value) < 1e9 else f"{value:.2e}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def _format_entry(entry: dict[str, Any]) -> str:
    if "low" in entry:  # recorded by `estimate`: show the interval too
        estimate = Estimate(entry["value"], entry["low"], entry["high"], entry["n"], entry.get("confidence", 0.95))
        return f"{estimate} {entry['unit']}".strip()
    return _format_value(entry["value"], entry["unit"])


def _claim_record(notebook: str, name: str, claim: Claim) -> dict[str, Any]:
    effect = claim.effect
    record = {
        "key": name,
        "notebook": notebook,
        "statement": claim.statement,
        "text": str(claim),
        "effect": effect.value,
        "effect_text": str(effect),
        "low": effect.low,
        "high": effect.high,
        "n": effect.n,
        "confidence": effect.confidence,
        "verdict": claim.verdict,
        "expected": claim.expected,
        "threshold": claim.threshold,
        "margin": claim.margin,
        "recorded_at": time.time(),
    }
    if isinstance(effect, Comparison):
        record.update(kind="paired_difference", p_value=effect.p_value, label_a=effect.label_a, label_b=effect.label_b)
        record.update(mean_a=effect.mean_a, mean_b=effect.mean_b, scores_a=effect.scores_a, scores_b=effect.scores_b)
    else:
        record.update(kind="estimate", method=effect.method, scores=effect.scores)
    return record


@dataclass
class NotebookResults:
    """The measured numbers of one notebook, printed as they are made and saved to the cache."""

    notebook: str
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)

    def report(self, name: str, value: float | int | str, description: str = "", unit: str = "") -> None:
        """Print `description: value unit`, record it under `name` and save the file."""
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{name} is {value}: a key number must be finite; check the run that produced it.")
        if hasattr(value, "item"):  # numpy / torch scalars
            value = value.item()
        self.metrics[name] = {"value": value, "unit": unit, "description": description, "recorded_at": time.time()}
        print(f"{description or name}: {_format_value(value, unit)}", flush=True)
        self.save()

    def estimate(self, name: str, scores: Sequence[float], description: str = "", unit: str = "") -> Estimate:
        """Print `description: mean (95% CI low–high, n = N)` of per-item scores, record it with the scores, save."""
        result = mean_ci(scores)
        self.metrics[name] = {
            "value": result.value,
            "unit": unit,
            "description": description,
            "recorded_at": time.time(),
            "low": result.low,
            "high": result.high,
            "n": result.n,
            "confidence": result.confidence,
            "method": result.method,
            "scores": result.scores,
        }
        print(f"{description or name}: {_format_entry(self.metrics[name])}", flush=True)
        self.save()
        return result

    def claim(
        self,
        name: str,
        claim: Claim | Comparison | Estimate,
        statement: str = "",
        expected: str = "higher",
        threshold: float = 0.0,
        margin: float | None = None,
    ) -> Claim:
        """Print `statement: effect: verdict`, record the claim under `name` and save; a bare effect is judged here."""
        if not isinstance(claim, Claim):
            if not isinstance(claim, (Comparison, Estimate)):
                raise TypeError(f"Pass a stats.Claim, or a stats.Comparison / stats.Estimate to judge; got {type(claim).__name__}.")
            claim = judge_claim(name, statement or name, claim, expected, threshold, margin)
        self.claims[name] = _claim_record(self.notebook, name, claim)
        print(claim, flush=True)
        self.save()
        return claim

    def save(self) -> Path:
        """Merge this notebook's numbers into its JSON file (atomically, under a lock)."""
        path = results_path(self.notebook)
        with cache_lock(path.name):
            saved = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"metrics": {}}
            saved["metrics"].update(self.metrics)
            saved.setdefault("claims", {}).update(self.claims)
            saved["notebook"] = self.notebook
            saved["machine"] = f"{platform.machine()} {platform.system()}"
            write_text_atomic(path, json.dumps(saved, indent=2, sort_keys=True))
        return path

    def table(self) -> str:
        """Return the recorded numbers as a Markdown table (the notebook's summary)."""
        rows = ["| measurement | value |", "|---|---|"]
        for name, entry in self.metrics.items():
            rows.append(f"| {entry['description'] or name} | {_format_entry(entry)} |")
        for name, entry in self.claims.items():
            rows.append(f"| {entry['statement'] or name} | {entry['effect_text']}: {entry['verdict']} |")
        return "\n".join(rows)


def recorded_value(notebook: str, key: str) -> Any:
    """A number an earlier notebook recorded, or an error that names the notebook to run."""
    from .results import load_results

    metrics = load_results(notebook)  # FileNotFoundError: "run notebooks/<notebook>.ipynb first"
    if key not in metrics:
        raise KeyError(f"notebooks/{notebook}.ipynb has recorded no {key!r}: run that notebook again (its results predate this number).")
    return metrics[key]["value"]


SEED_SPREAD_FILE = "benchmarks/seed_spread.json"  # written by `make seeds` (tools/seed_spread.py), committed


def seed_spread_path() -> Path:
    """Return the committed record of the claims re-run with several seeds."""
    return repo_root() / SEED_SPREAD_FILE


def load_seed_spread(notebook: str) -> dict[str, dict[str, Any]]:
    """Return a notebook's claims re-run with several seeds: {claim: {"expected", "statement", "seeds", "effects"}}."""
    path = seed_spread_path()
    if not path.exists():
        raise FileNotFoundError(f"{SEED_SPREAD_FILE} is missing: restore it from git, or re-measure it with `make seeds` (minutes of training).")
    record = json.loads(path.read_text(encoding="utf-8"))
    if notebook not in record:
        raise KeyError(f"{SEED_SPREAD_FILE} has no runs of {notebook}: measure them with `python -m tools.seed_spread --only {notebook[:2]}`.")
    return {name: entry for name, entry in record[notebook].items() if not name.startswith("_")}


def seed_spread_verdict(entry: dict[str, Any]) -> tuple[Estimate, str]:
    """Return a recorded claim's mean across seeds (Student t interval) and the verdict on that interval."""
    spread = across_seeds(entry["effects"])
    return spread, verdict(spread, entry["expected"])


def print_seed_spread(notebook: str, claims: list[str] | None = None, this_run: NotebookResults | None = None) -> dict[str, str]:
    """Print each claim's effect per seed, its mean with a t interval across seeds and the verdict; return the verdicts.

    With `this_run` (the notebook's `NotebookResults`), each claim also shows the verdict of the run just made.
    """
    recorded = load_seed_spread(notebook)
    verdicts = {}
    for name in claims or list(recorded):
        if name not in recorded:
            raise KeyError(f"{SEED_SPREAD_FILE} has no claim {name!r} for {notebook}; it has {sorted(recorded)}.")
        entry = recorded[name]
        spread, verdicts[name] = seed_spread_verdict(entry)
        per_seed = ", ".join(f"{value:+.3f}" for value in entry["effects"])
        agreeing = sum(value > 0 if entry["expected"] == "higher" else value < 0 for value in entry["effects"])
        print(f"{entry['statement']}\n  seeds {entry['seeds']}: {per_seed} ({agreeing} of {spread.n} the claimed way); "
              f"mean {spread.value:+.3f} (95% CI {spread.low:+.3f} to {spread.high:+.3f}, n = {spread.n} seeds): {verdicts[name]}")
        if this_run is not None and name in this_run.claims:
            print(f"  this notebook's own run: {this_run.claims[name]['verdict']}")
    return verdicts
