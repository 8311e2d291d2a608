"""The course: curriculum.yaml and the notebooks agree, every lesson is bilingual, answers are worked and right."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from crmstudy import curriculum, features, tiers
from crmstudy.bank import Bank
from crmstudy.errors import CrmStudyError

TRAINING = Path(str(curriculum.CURRICULUM_FILE)).parent
LESSONS = sorted(p for p in TRAINING.glob("*.ipynb") if not p.stem.endswith("_solutions"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _markdown(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


# --------------------------------------------------------------------------
# the course description


def test_every_lesson_notebook_is_in_the_curriculum_and_every_entry_has_its_notebooks():
    course = curriculum.load_curriculum()
    listed = {lesson.id for lesson in course.lessons}
    on_disk = {p.stem for p in LESSONS}
    assert on_disk <= listed, (
        f"lessons missing from {curriculum.CURRICULUM_FILE}: {sorted(on_disk - listed)} — add an entry with "
        "title, minutes, tracks, prerequisites, goals and trainer_notes in English and Chinese"
    )
    assert listed <= on_disk, f"curriculum entries without a notebook: {sorted(listed - on_disk)}"
    missing = [lid for lid in listed if not (TRAINING / f"{lid}_solutions.ipynb").exists()]
    assert not missing, f"lessons without worked answers: {missing}"


def test_each_track_is_a_course_of_its_own():
    course = curriculum.load_curriculum()
    for key in course.tracks:
        lessons = course.track_lessons(key)
        ids = {lesson.id for lesson in lessons}
        assert len(lessons) >= 3, key
        for lesson in lessons:  # a track never needs a lesson it does not teach
            assert set(lesson.prerequisites) <= ids, (key, lesson.id)
    rm = {lesson.id for lesson in course.track_lessons("rm")}
    assert "05_reading_a_branch_report" in rm and "03_footprints" not in rm, "scorecards are for the analyst track"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: {en: a}\ntracks: {}\nlessons: []\n", r"title.zh: Field required"),
        (
            "title: {en: a, zh: b}\ntracks: {}\nlessons:\n  - id: x\n    title: {en: a, zh: b}\n    minutes: 10\n"
            "    tracks: [rm]\n    goals: [{en: a, zh: b}]\n    trainer_notes: [{en: a, zh: b}]\n",
            r"unknown track",
        ),
        ("title: [\n", r"not valid YAML"),
    ],
)
def test_a_broken_curriculum_is_refused_with_one_line(tmp_path, text, message):
    path = tmp_path / "curriculum.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CrmStudyError, match=message):
        curriculum.load_curriculum(path)


def test_a_prerequisite_must_come_earlier():
    course = curriculum.load_curriculum().model_dump()
    course["lessons"][0]["prerequisites"] = [course["lessons"][1]["id"]]
    with pytest.raises(ValueError, match="must come earlier"):
        curriculum.Curriculum.model_validate(course)


# --------------------------------------------------------------------------
# the notebooks


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_lesson_opens_with_its_curriculum_title_in_both_languages(path):
    lesson = curriculum.load_curriculum().lesson(path.stem)
    first = _markdown(_read(path))[0].splitlines()[0]
    assert lesson.title.en in first and lesson.title.zh in first, first


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_paragraph_of_a_lesson_is_in_both_languages(path):
    english_only = [m[:60] for m in _markdown(_read(path)) if len(m.split()) >= 8 and not CJK.search(m)]
    assert not english_only, f"{path.name}: paragraphs without Chinese: {english_only}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_the_worked_answers_explain_and_keep_their_checks_in_the_tests(path):
    nb = _read(TRAINING / f"{path.stem}_solutions.ipynb")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*assert\b", code, re.M), "checks belong in tests/test_curriculum.py, not in the answers"
    words = sum(len(m.split()) for m in _markdown(nb))
    assert words >= 120, f"{path.name}: the answers need their interpretation in prose ({words} words)"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_lesson_does_not_depend_on_the_folder_it_is_opened_from(path):
    for nb_path in (path, TRAINING / f"{path.stem}_solutions.ipynb"):
        nb = _read(nb_path)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert re.search(r"^data_dir = None\b", params.source, re.M), f"{nb_path.name}: data_dir default is a path"
        assert "lesson_bank(data_dir)" in "\n".join(c.source for c in nb.cells), nb_path.name


# --------------------------------------------------------------------------
# where a lesson finds its bank


def test_lesson_bank_prefers_the_given_folder_then_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(curriculum.DATA_ENV, str(tmp_path / "env"))
    assert curriculum.lesson_bank(tmp_path / "given") == tmp_path / "given"
    assert curriculum.lesson_bank(None) == tmp_path / "env"


def test_lesson_bank_finds_the_demo_bank_in_a_folder_above(tmp_path, monkeypatch):
    monkeypatch.delenv(curriculum.DATA_ENV, raising=False)
    demo = tmp_path / "data_synthetic" / "demo"
    demo.mkdir(parents=True)
    (demo / "bank.json").write_text("{}")
    deep = tmp_path / "notebooks" / "training"
    deep.mkdir(parents=True)
    assert curriculum.lesson_bank(None, start=deep) == demo


def test_no_bank_found_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.delenv(curriculum.DATA_ENV, raising=False)
    with pytest.raises(CrmStudyError, match=r"crmstudy synth --preset demo --out data_synthetic/demo"):
        curriculum.lesson_bank(None, start=tmp_path)


# --------------------------------------------------------------------------
# the worked answers are right (run in-process on the tiny bank, checked independently)


def _answers(stem: str, data_dir: Path, **params) -> dict:
    """Run a solutions notebook's code cells in this process; return its namespace."""
    import matplotlib

    matplotlib.use("Agg")
    ns: dict = {}
    for cell in _read(TRAINING / f"{stem}_solutions.ipynb").cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, f"{stem}_solutions", "exec"), ns)
        if "parameters" in cell.metadata.get("tags", []):
            ns.update(data_dir=str(data_dir), **params)
    return ns


@pytest.fixture(scope="module")
def tiny_features(tiny_bank):
    return features.customer_features(Bank.open(tiny_bank))


def test_answers_of_lesson_00(tiny_bank, tiny_features):
    ns = _answers("00_the_bank_and_its_data", tiny_bank)
    per_branch = tiny_features.groupby("branch_id").size()
    assert ns["answer_1"].to_dict() == per_branch.to_dict()
    assert ns["answer_2"] == pytest.approx(tiny_features["days_since_active"].ge(180).mean())
    one = tiny_features.sort_values("ada").iloc[len(tiny_features) // 2]
    assert ns["answer_3"] == pytest.approx(one["ada"], rel=1e-9)


def _gini(values) -> float:
    """The closed form on sorted values: sum((2i - n - 1) x_i) / (n sum x), i = 1..n."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    return float(((2 * np.arange(1, n + 1) - n - 1) * x).sum() / (n * x.sum()))


def test_answers_of_lesson_01(tiny_bank, tiny_features):
    ns = _answers("01_80_20_and_asset_tiers", tiny_bank)
    ada = tiny_features["ada"].sort_values(ascending=False).to_numpy()
    top = ada[: int(round(0.2 * len(ada)))].sum() / ada.sum()
    assert ns["answer_1"] == pytest.approx(top, abs=2 / len(ada))
    t = tiers.TierThresholds()
    only = (tiny_features["ada"] < t.potential) & (tiny_features["peak_assets"] >= t.potential_point_in_time)
    assert ns["answer_2"] == int(only.sum())
    ginis = {b: _gini(g["ada"]) for b, g in tiny_features.groupby("branch_id")}
    assert ns["answer_3"] == max(ginis, key=ginis.get)


def test_answers_of_lesson_02(tiny_bank, tiny_features):
    ns = _answers("02_the_long_tail", tiny_bank)
    assert ns["answer_1"]["tail"] > ns["answer_1"]["head"], "the planted bank's dormancy sits in the tail"
    candidates = tiers.upgrade_candidates(tiny_features, top_n=None)
    assert ns["answer_2"] == pytest.approx(candidates["gap"].sum())
    counts = candidates.groupby("owner_staff_id").size()
    assert counts[ns["answer_3"]] == counts.max()


@pytest.mark.slow
def test_answers_of_lesson_05(tiny_bank):
    ns = _answers("05_reading_a_branch_report", tiny_bank)
    f = ns["ctx"].features
    staff = pd.read_parquet(tiny_bank / "staff.parquet").set_index("staff_id")
    leave = pd.to_datetime(f["owner_staff_id"].map(staff["leave_date"]))
    orphans = leave <= pd.Timestamp(ns["bank"].period.end)
    assert ns["answer_1"] == (int(orphans.sum()), pytest.approx(float(f.loc[orphans, "ada"].sum())))
    assert ("reassign" in ns["answer_3"]) == (ns["answer_1"][0] > 0), "no instruction on a zero count"


@pytest.mark.slow
def test_answers_of_lesson_03(tiny_bank):
    ns = _answers("03_footprints", tiny_bank, n_boot=50)
    iv = ns["oot"].card("risk").iv_
    assert ns["answer_1"] == (str(iv["signal"].iloc[0]) if len(iv) else None)
    estimate, low, high = ns["answer_2"]
    assert low <= estimate <= high
    assert ns["answer_3"][1] == 20, "20 points double the odds"


@pytest.mark.slow
def test_answers_of_lesson_04(tiny_bank):
    ns = _answers("04_segment_product", tiny_bank)
    assert {ns["answer_1"][0], ns["answer_1"][1]} == {"GOLD_JICUN", "GOLD_YICUN"}, "the planted gold pair leads"
    bh, holm = ns["answer_2"]
    assert holm <= bh, "Holm controls the chance of any false finding, so it never finds more"
    depth = ns["depth"]["mean_lines"]
    assert depth[ns["answer_3"]] == depth.min()


def test_answers_of_lesson_06(tiny_bank):
    import crmstudy.profit as pf

    ns = _answers("06_what_a_customer_earns", tiny_bank)
    profit = ns["profit"]
    per = pf.value_destroyers(profit, by=("tier",))
    assert ns["answer_1"] == per.loc[per["destroying_share"].idxmax(), "tier"]
    ch = ns["inputs"].channels
    counter = ch.loc[ch["channel"] == "counter", "n_txn"].sum()
    assert ns["answer_2"] == pytest.approx(0.3 * counter * (15.0 - 0.3), abs=0.005 * len(ch))
    lift, low, high, significant = ns["answer_3"]
    assert low <= lift <= high and significant == (low > 0 or high < 0)
