"""The run's shared work: customer features and footprint scores, once per run, sliced per branch.

Each branch notebook then reads its own slice instead of aggregating the
whole bank again (DuckDB does the aggregation once, out of core).  The slices
hold every customer unmasked, so :func:`remove_unmasked` deletes them once
the branches are done.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from ...atomic import write_text_atomic
from ...bank import Bank
from ...errors import CrmStudyError, DataError
from ...period import Period
from ...runcache import run_folder
from ..context import branch_period

#: Customers above which a run's shared work (features, scorecards) runs in a child process.
SHARED_IN_CHILD_ABOVE = 200_000

#: Rows per Parquet row group of the run's features file, which is sorted by branch: a branch
#: notebook's filtered read then decodes only the few row groups of its own branch.
_FEATURE_ROW_GROUP = 8192


#: What a branch report reads from the run's shared work (the parameters of crmstudy/notebooks/branch_report.ipynb).
REPORT_INPUTS = frozenset({"features_path", "scores_path", "standing", "previous_report"})


def attach_shared(
    jobs: list[dict], bank, params: dict, run_dir: Path, fingerprint: str, *, wants=REPORT_INPUTS
) -> None:
    """Compute customer features and footprint scores once per distinct period; point each job at its slices.

    ``wants`` is what the notebook's parameters cell declares: the features are computed only for a
    notebook that reads ``features_path`` or ``standing``, the footprint scorecards and cross-sell
    models only for one that reads ``scores_path``, the branch lines and ranks only for ``standing``
    (a custom ``--notebook`` that reads none of them starts its branches at once).

    On a bank of more than :data:`SHARED_IN_CHILD_ABOVE` customers the work
    runs in a child process, so that the memory it needs (a few GB on a
    million customers) is handed back before the branch workers start rather
    than held by this process for the whole run; a smaller bank saves the
    child's start-up (imports, 3–4 s).  Every job also gets the data
    ``fingerprint`` the slices were made from, and the run's folder of bank-wide results
    (:mod:`crmstudy.runcache`: computed by the first branch that needs one, read by the others).
    """
    wants = frozenset(wants)
    periods: dict[tuple, list[dict]] = {}
    reads_features = bool(wants & {"features_path", "scores_path", "standing"})
    # one piece of shared work per period and scorecard bar (prospects.min_events)
    for job in jobs if reads_features else ():
        p = params[job["branch_id"]]
        period = branch_period(bank, p)
        periods.setdefault((period.start, period.end, p.prospects.min_events), []).append(job)
    in_child = periods and _customer_count(bank) > SHARED_IN_CHILD_ABOVE
    score = "scores_path" in wants
    for (start, end, min_events), group in periods.items():
        ids = sorted({j["branch_id"] for j in group})
        if in_child:
            features, scores = _shared_in_child(
                str(bank.root), str(start), str(end), str(run_dir / "_work"), ids, min_events=min_events, scores=score
            )
        else:
            features, scores = shared_slices(
                bank, str(start), str(end), str(run_dir / "_work"), ids, min_events=min_events, scores=score
            )
        standing = branch_standing(bank, Period.of(start, end), features) if "standing" in wants else {}
        for job in group:
            job["features_path"] = features
            if "standing" in wants:
                job["standing"] = standing.get(job["branch_id"], {})
            if job["branch_id"] in scores:
                job["scores_path"] = scores[job["branch_id"]]
        if scores:  # the cross-sell models, once per run: each branch reads them beside its scores
            from ..sections._offers import judge_for_run

            for knobs in {
                params[j["branch_id"]].association.model_dump_json(): params[j["branch_id"]].association for j in group
            }.values():
                judge_for_run(bank, end, knobs, run_dir / "_work", features)
    cache = str(run_folder(run_dir / "_work")) if jobs else None  # bank-wide results, once per run
    for job in jobs:
        job["data_fingerprint"] = fingerprint
        job["bankwide_dir"] = cache


def branch_standing(bank: Bank, period: Period, features_path: str) -> dict[str, dict]:
    """Every branch's month-end lines and its ranks among the branches, once for the run (:mod:`..trends`).

    Counts and sums per branch only: a job gets its own branch's lines and where it stands, never
    another branch's figures, and never a customer.
    """
    import pandas as pd

    from ..trends import branch_figures, monthly_lines, ranks

    cols = ["branch_id", "ada", "peak_assets", "end_assets", "open_date", "close_date", "dormant"]
    features = pd.read_parquet(features_path, columns=cols)
    figures = branch_figures(features, period, dormancy_known=bank.available("transactions"))
    del features
    lines = monthly_lines(bank, period)
    lines["month_end"] = [d.isoformat() for d in lines["month_end"]]
    lines = lines.astype(object).where(lines.notna(), None)  # JSON (and papermill) take None, not NA
    out = {}
    for b in bank.branch_ids:
        own = lines[lines["branch_id"] == b].drop(columns="branch_id")
        out[b] = {"monthly": own.to_dict("records"), "ranks": ranks(figures, b)}
    return out


def attach_previous(jobs: list[dict], previous_dir: Path | None) -> None:
    """Give each job what its branch's last published report said (:func:`..trends.previous_report`), or ``{}``."""
    from ..trends import previous_report

    for job in jobs:
        job["previous_report"] = previous_report(previous_dir, job["branch_id"])


def remove_leftovers(out_dir: Path) -> None:
    """Remove what a killed run left behind: every run's private work folder and half-written files.

    A ``kill -9`` runs no clean-up, so the next run does it first (under the lock, so no other
    run is writing): each ``runs/*/_work/`` (unmasked features and scores, job files), every
    hidden temporary file in a run folder, and a publish killed half-way (:mod:`.publish`).
    """
    from .publish import remove_partial_publishing

    out_dir = Path(out_dir)
    for work in out_dir.glob("runs/*/_work"):
        remove_unmasked(work)
    for tmp in [*out_dir.glob("runs/*/.*"), *out_dir.glob("runs/*/*/.*")]:
        if tmp.is_file() or tmp.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    remove_partial_publishing(out_dir)


def remove_unmasked(work: Path) -> None:
    """Delete a run's private work folder: the features and score slices (all customers, unmasked), job files.

    Called in every exit path of a run (success, failure, Ctrl-C, a full disk) and, for a run that
    was killed, at the start of the next one.
    """
    shutil.rmtree(work, ignore_errors=True)
    if work.exists():  # a file rmtree could not remove: try once more, loudly
        shutil.rmtree(work)


def _customer_count(bank: Bank) -> int:
    rows = bank.meta.get("rows", {}).get("customers")
    return rows if isinstance(rows, int) else bank.customer_count


def _shared_in_child(
    data_dir: str, start: str, end: str, work: str, branches: list[str], *, min_events: int = 10, scores: bool = True
) -> tuple[str, dict[str, str]]:
    """:func:`shared_slices` in a child process (``python -m crmstudy.reports.pipeline.worker --shared``).

    A plain subprocess, as for the branch workers, rather than multiprocessing: that would
    start by re-running the caller's ``__main__``, which breaks a script without a main guard.
    """
    spec = Path(work) / f"shared_{start}_{end}_{min_events}.json"
    write_text_atomic(
        spec,
        json.dumps(
            {
                "data_dir": data_dir,
                "start": start,
                "end": end,
                "work": work,
                "branches": branches,
                "min_events": min_events,
                "scores": scores,
            }
        ),
    )
    done = spec.with_suffix(".result.json")
    with contextlib.suppress(FileNotFoundError):
        done.unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "crmstudy.reports.pipeline.worker", "--shared", str(spec)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    result = json.loads(done.read_text()) if done.exists() else {}
    if proc.returncode != 0 or "features" not in result:
        tail = [line for line in proc.stderr.decode(errors="replace").splitlines() if line.strip()]
        message = result.get("error") or (tail[-1] if tail else f"exit code {proc.returncode}")
        error = DataError if result.get("kind") == "DataError" else CrmStudyError
        raise error(message)
    return result["features"], result["scores"]


def shared_slices(
    data, start, end, work: str, branches: list[str], *, min_events: int = 10, scores: bool = True
) -> tuple[str, dict[str, str]]:
    """Write the period's features (one file, sorted by branch) and each branch's footprint scores.

    ``data`` is the run's Bank (or a bank folder, in the child process); ``min_events`` the
    scorecards' bar (``prospects.min_events``); ``scores=False`` writes the features only.

    Returns
    -------
    str, dict
        The features file, and branch id -> its pickled
        :class:`~crmstudy.footprint.FootprintScores` (empty when the period is too
        short for the scorecards' windows: each branch's section then says so).
    """
    import duckdb

    from ...atomic import atomic_path
    from ...features import Period, customer_features

    bank, period = Bank.of(data), Period.of(start, end)
    try:
        features = customer_features(bank, period)
    except duckdb.Error as exc:  # DuckDB refusing a file is bad input: its message names the file
        raise DataError(f"customer features for {start} to {end}: {str(exc).strip().splitlines()[0]}") from None
    features = features.sort_values(["branch_id", "customer_id"], ignore_index=True)
    path = Path(work) / f"features_{start}_{end}.parquet"
    with atomic_path(path) as tmp:
        features.to_parquet(tmp, index=False, row_group_size=_FEATURE_ROW_GROUP)
    branch_of = features.set_index("customer_id")["branch_id"]
    del features
    if not scores:
        return str(path), {}
    folder = Path(work) / f"footprint_{start}_{end}_{min_events}"
    return str(path), _footprint_scores(bank, period, folder, branch_of, branches, min_events=min_events)


def _footprint_scores(
    bank, period, folder: Path, branch_of, branches: list[str], *, min_events: int = 10
) -> dict[str, str]:
    """Fit the footprint scorecards once for the run; pickle each branch's customers' scores apart.

    Branch notebooks then show their own customers' scores instead of each
    refitting on the whole bank, and load only their own rows.
    """
    import pickle

    from ...atomic import atomic_path
    from ...errors import ParamsError
    from ...footprint import score_customers

    try:  # strict=False: a card short of events is left out, and each branch's section says why
        scores = score_customers(bank, period=period, strict=False, min_events=min_events)
    except ParamsError:  # a period too short for the windows: each branch's section says so
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    parts = scores.split(branch_of)
    nobody = replace(scores, scores=scores.scores.iloc[:0], reasons=scores.reasons.iloc[:0])
    paths = {}
    for b in branches:  # a branch with no one to score gets the cards and empty lists, not a refit
        paths[b] = str(folder / f"{b}.pkl")
        with atomic_path(Path(paths[b])) as tmp:
            tmp.write_bytes(pickle.dumps(parts.get(b, nobody)))
    return paths
