"""The year's replay writes what it wrote before it was made to scale (issue 15): the tiny bank's year, to the bit.

``tests/fixtures/golden/replay_tiny_year.json`` was written by the replay of commit 1f9e550 (before
the policy's lists, the vectorised cap recount and the whole-table detection) with
``PYTHONPATH=<that commit's tree> python tests/events/test_replay_equal.py``: the summary (its
timings aside) and a digest of every column of the action queue, the contacts and the day files,
each of which changes with any value's last bit.  A deliberate change of the replay's output
regenerates it (the same command on the new tree) and says why in the commit.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden" / "replay_tiny_year.json"


def _digest(frame: pd.DataFrame) -> dict[str, str]:
    """Per column: 16 hex digits of the SHA-256 of its values' hashes (floats by their bits), and the row count."""
    out = {"rows": str(len(frame)), "columns": ",".join(frame.columns)}
    for c in frame.columns:
        h = pd.util.hash_pandas_object(frame[c], index=False).to_numpy().tobytes()
        out[c] = hashlib.sha256(h).hexdigest()[:16]
    return out


def replay_digest(bank: Path, out: Path) -> dict:
    """``crmstudy replay`` of the bank's whole period into ``out``, reduced to what it wrote."""
    from crmstudy.cli import main

    assert main(["replay", "--data", str(bank), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("seconds")
    days = sorted((out / "events").glob("day=*/events.parquet"))
    return {
        "summary": summary,
        "action_queue": _digest(pd.read_parquet(out / "action_queue.parquet")),
        "contacts": _digest(pd.read_parquet(out / "contacts.parquet")),
        "day_files": len(days),
        "event_log": _digest(pd.concat([pd.read_parquet(d) for d in days], ignore_index=True)),
    }


def test_the_tiny_bank_s_year_replays_to_the_bit_as_before_it_was_made_to_scale(tiny_bank, tmp_path):
    want = json.loads(GOLDEN.read_text())
    got = json.loads(json.dumps(replay_digest(tiny_bank, tmp_path / "replay")))  # as the golden file holds it
    assert got["summary"] == want["summary"]
    for part in ("action_queue", "contacts", "event_log"):
        differ = {c: (got[part].get(c), v) for c, v in want[part].items() if got[part].get(c) != v}
        assert not differ, f"{part}: {differ}"
    assert got["day_files"] == want["day_files"] == 365


if __name__ == "__main__":  # regenerate the golden file (from the tree on PYTHONPATH)
    from crmstudy.synth import preset_spec, synthesize

    with tempfile.TemporaryDirectory() as tmp:
        synthesize(preset_spec("tiny"), Path(tmp) / "bank")
        doc = replay_digest(Path(tmp) / "bank", Path(tmp) / "replay")
    GOLDEN.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN} ({doc['summary']['events']} events)", file=sys.stderr)
