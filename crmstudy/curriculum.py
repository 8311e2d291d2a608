"""The training curriculum: its lessons, tracks and trainer notes, and the bank a lesson opens.

The course is described once, in ``crmstudy/notebooks/training/curriculum.yaml``:
each lesson's title, duration, prerequisites, learning goals and trainer notes
in English and Chinese, and the tracks (relationship managers, analysts) that
take it.  :func:`load_curriculum` reads and checks it; ``crmstudy training``
renders it as the course page; a test keeps it and the notebooks in step.

A lesson opens the bank :func:`lesson_bank` finds, so that it runs from its own
folder in JupyterLab as well as from ``crmstudy training``.

Examples
--------
>>> course = load_curriculum()
>>> course.lessons[0].id
'00_the_bank_and_its_data'
>>> sorted(course.tracks)
['analyst', 'rm']
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import CrmStudyError

#: The file that describes the course (package data).
CURRICULUM_FILE = resources.files("crmstudy") / "notebooks" / "training" / "curriculum.yaml"
#: Environment variable naming the bank the lessons open when no ``data_dir`` is given.
DATA_ENV = "CRMSTUDY_DATA"
#: Where ``crmstudy synth`` puts the demo bank in the repository (``./make.sh demo``).
DEMO_BANK = Path("data_synthetic") / "demo"


class Bilingual(BaseModel):
    """A text in both languages of the course."""

    model_config = ConfigDict(extra="forbid")
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)


class Lesson(BaseModel):
    """One lesson: a notebook ``<id>.ipynb`` and its worked answers ``<id>_solutions.ipynb``."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: Bilingual
    minutes: int = Field(gt=0, le=240, description="time in class, exercises included")
    tracks: list[str] = Field(min_length=1)
    prerequisites: list[str] = []
    goals: list[Bilingual] = Field(min_length=1)
    trainer_notes: list[Bilingual] = Field(min_length=1)


class Track(BaseModel):
    """A path through the course for one audience."""

    model_config = ConfigDict(extra="forbid")
    title: Bilingual
    audience: Bilingual


class Curriculum(BaseModel):
    """The whole course: its tracks and its lessons in teaching order."""

    model_config = ConfigDict(extra="forbid")
    title: Bilingual
    tracks: dict[str, Track]
    lessons: list[Lesson]

    @model_validator(mode="after")
    def _references_exist(self) -> Curriculum:
        seen: set[str] = set()
        for lesson in self.lessons:
            unknown = set(lesson.tracks) - set(self.tracks)
            if unknown:
                raise ValueError(f"lesson {lesson.id}: unknown track(s) {sorted(unknown)}")
            later = [p for p in lesson.prerequisites if p not in seen]
            if later:
                raise ValueError(f"lesson {lesson.id}: prerequisite(s) {later} must come earlier in the course")
            if lesson.id in seen:
                raise ValueError(f"lesson {lesson.id} is listed twice")
            seen.add(lesson.id)
        return self

    def lesson(self, lesson_id: str) -> Lesson:
        """The lesson called ``lesson_id``."""
        for lesson in self.lessons:
            if lesson.id == lesson_id:
                return lesson
        raise CrmStudyError(f"curriculum.yaml: no lesson {lesson_id!r}")

    def track_lessons(self, track: str) -> list[Lesson]:
        """The lessons of one track, in teaching order."""
        return [lesson for lesson in self.lessons if track in lesson.tracks]

    def track_minutes(self, track: str) -> int:
        """Time in class for a whole track."""
        return sum(lesson.minutes for lesson in self.track_lessons(track))


def load_curriculum(path=None) -> Curriculum:
    """Read and check the course description (default: the package's ``curriculum.yaml``).

    Raises
    ------
    CrmStudyError
        The file is not valid YAML or does not describe a course (one line naming the file and the key).
    """
    source = CURRICULUM_FILE if path is None else Path(path)
    name = getattr(source, "name", str(source))
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        return Curriculum.model_validate(data)
    except yaml.YAMLError as err:
        raise CrmStudyError(f"{name}: not valid YAML ({err.__class__.__name__})") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise CrmStudyError(f"{name}: {where}: {first['msg']}") from None


def lesson_bank(data_dir=None, *, start=None) -> Path:
    """The bank a lesson works on.

    ``data_dir`` when given; else the folder in ``$CRMSTUDY_DATA``; else the
    demo bank, ``data_synthetic/demo``, in the current folder or the nearest
    folder above it (a lesson opened from ``notebooks/training/`` finds the
    repository's demo bank).

    Raises
    ------
    CrmStudyError
        No bank was found: the message says how to make the demo bank.
    """
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir)
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    here = Path(start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / DEMO_BANK / "bank.json").is_file():
            return folder / DEMO_BANK
    raise CrmStudyError(
        f"no bank for the lesson: set data_dir, or {DATA_ENV}, or make the demo bank with "
        f"`crmstudy synth --preset demo --out {DEMO_BANK}` in the repository (searched from {here})"
    )
