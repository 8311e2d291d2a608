"""Lesson 07's worked answers are right: run in-process on the tiny bank, checked independently."""

from __future__ import annotations

import nbformat

from crmstudy import curriculum
from crmstudy.events import detect
from crmstudy.events.replay import replay
from crmstudy.params import load
from crmstudy.period import Period

STEM = "07_customer_events_and_policy"


def test_answers_of_lesson_06(tiny_bank):
    folder = curriculum.CURRICULUM_FILE.parent
    ns: dict = {}
    for cell in nbformat.read(folder / f"{STEM}_solutions.ipynb", as_version=4).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, STEM, "exec"), ns)
            if "parameters" in cell.metadata.get("tags", []):
                ns["data_dir"] = str(tiny_bank)
    events = detect(tiny_bank, "2025-04-01", "2025-04-30")
    counts = events["kind"].value_counts()
    assert ns["answer_1"] == (counts.index[0], int(counts.iloc[0]))
    month = Period.of("2025-04-01", "2025-04-30")
    base = replay(tiny_bank, period=month, events=events).summary
    tight = replay(tiny_bank, period=month, events=events, params=load(extra={"contact_policy": {"capacity": 1}}))
    assert ns["answer_2"][0] == base["share_actioned_in_time"]
    assert ns["answer_3"] == (tight.summary["escalated"] - base["escalated"], 0)
