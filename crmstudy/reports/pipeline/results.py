"""What a run returns: one :class:`BranchResult` per branch, gathered in a :class:`RunSummary`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class BranchResult:
    """What happened to one branch in a run."""

    branch_id: str
    status: str  # ok | cached | failed
    seconds: float
    log: str
    files: list[str] = field(default_factory=list)
    error: str = ""
    headline: dict = field(default_factory=dict)
    attempts: int = 0
    cache_key: str = ""
    params_hash: str = ""
    execute_seconds: float = 0.0
    render_seconds: float = 0.0
    executed_notebook: str = ""
    environment: dict | None = None  # the machine's refusal (errno, message, path) that stopped the branch


@dataclass
class RunSummary:
    """A finished run: where it is, which engine, and each branch's result."""

    run_id: str
    run_dir: Path
    latest_dir: Path
    engine: str
    results: list[BranchResult]
    seconds: float
    shared_seconds: float = 0.0  # features and footprint scores, once per run, before the branches
    process_seconds: float | None = None  # since the process started (interpreter, imports, planning included)

    @property
    def failed(self) -> list[BranchResult]:
        """The branches that failed."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def partial(self) -> list[BranchResult]:
        """The branches rendered with a section that failed (a boxed note in its place; ``error`` names it)."""
        return [r for r in self.results if r.status == "ok" and r.error]

    @property
    def rendered(self) -> list[BranchResult]:
        """The branches rendered in this run (not those unchanged)."""
        return [r for r in self.results if r.status == "ok"]

    def table(self) -> str:
        """A plain-text summary, one line per branch."""
        took = f"{self.seconds:.1f} s"
        if self.process_seconds is not None:  # what the user waited: start-up and imports too
            took = f"{self.process_seconds:.1f} s, of which the run {self.seconds:.1f} s"
        lines = [f"run {self.run_id} ({self.engine} engine, {took}): {self.run_dir}"]
        for r in self.results:
            extra = f"  {r.error}" if r.error else ""
            lines.append(f"  {r.branch_id:<8} {r.status:<7} {r.seconds:6.1f} s  log: {r.log}{extra}")
        lines.append(
            f"{len(self.rendered)} rendered, {sum(r.status == 'cached' for r in self.results)} unchanged, "
            f"{len(self.failed)} failed of {len(self.results)} branches"
        )
        return "\n".join(lines)
