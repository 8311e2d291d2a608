"""``crmstudy replay``: run event detection and the contact policy day by day over the bank's period."""

from __future__ import annotations

import json

from ..errors import EXIT_OK

NAME = "replay"
HELP = "replay event detection and the contact policy day by day over the period; a service-level summary"
EXAMPLES = """examples:
  crmstudy replay --data data_synthetic/demo --out replay --private-out /secure/rm_lists"""


def add_arguments(r) -> None:
    """Add the verb's arguments to its sub-parser ``r``."""
    r.add_argument("--data", required=True, help="bank folder (Parquet or CSV files)")
    r.add_argument("--out", required=True, help="output folder: events/, action_queue.parquet, summary.json")
    r.add_argument(
        "--policy", default=None, help="parameters YAML: 'contact_policy', 'events', 'tiers' (default built in)"
    )
    r.add_argument(
        "--compare", default=None, help="a second parameters YAML: replayed too, side by side in compare.json"
    )
    r.add_argument(
        "--private-out",
        default=None,
        help="restricted folder for the per-RM action lists with unmasked customer ids (files mode 0600)",
    )
    r.add_argument("--start", default=None, help="first day (default: the bank's period)")
    r.add_argument("--end", default=None, help="last day (default: the bank's period)")


def run(args) -> int:
    """Run this verb with the parsed ``args``; return its exit code."""
    from pathlib import Path

    from ..atomic import write_text_atomic
    from ..bank import Bank
    from ..events.replay import compare, replay, write_replay
    from ..params import load
    from ..period import Period
    from .events import parse_day

    bank = Bank.open(args.data)
    period = bank.period
    if args.start or args.end:
        period = Period(
            parse_day(args.start, "--start") if args.start else period.start,
            parse_day(args.end, "--end") if args.end else period.end,
        )
    params = load(args.policy)
    result = replay(bank, params=params, period=period)
    write_replay(result, args.out)
    s = result.summary
    share = s["share_actioned_in_time"]
    print(
        f"{s['events']:,} events over {period.days} days: {s['actioned_in_time']:,} actioned within the deadline"
        f" ({'-' if share is None else f'{share:.1%}'}), {s['escalated']:,} escalated"
        f" {s['escalated_by_reason'] or ''}, {s['open_at_end']:,} still open; {s['contacts']:,} contacts,"
        f" {s['customers_over_caps']} customers over the caps, {s['events_without_owner']} events without an owner"
    )
    cp = s["churn_prevented"]
    for reading in ("estimated", "planted"):
        if cp.get(reading):
            x = cp[reading]
            print(
                f"churn prevented ({reading}, relative risk {x['relative_risk']}): {x['prevented']}"
                f" (95% {x['low']} to {x['high']}) of {cp['customers_reached']:,} customers reached after a warning"
            )
    if args.private_out:
        from ..events.actions import write_action_lists

        files = write_action_lists(result.events, bank, args.private_out, as_of=period.end, lang=params.language)
        print(f"action lists: {len(files)} files in {args.private_out} (mode 0600; not for publishing)")
    if args.compare:
        other = load(args.compare)
        same_rules = other.events == params.events and other.tiers == params.tiers
        second = replay(bank, params=other, period=period, events=None if not same_rules else _events(result))
        table = compare(s, second.summary, names=(Path(args.policy or "defaults").stem, Path(args.compare).stem))
        doc = {"policy": s, "compare": second.summary, "table": table.astype(str).to_dict(orient="index")}
        write_text_atomic(Path(args.out) / "compare.json", json.dumps(doc, indent=2, sort_keys=True))
        print(table.to_string())
    print(f"replay: {Path(args.out) / 'summary.json'}")
    return EXIT_OK


def _events(result):
    from ..events.detect import COLUMNS

    return result.events[COLUMNS]
