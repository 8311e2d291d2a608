"""The course page a trainer hands out: tracks, then each lesson with its time, prerequisites, goals and notes.

Written by ``crmstudy training`` as ``index.html`` beside the rendered
lessons, from :func:`crmstudy.curriculum.load_curriculum` and the results of
the run (a lesson that failed to run is marked, with its error, and not linked).
"""

from __future__ import annotations

import html
from pathlib import Path

from ..atomic import write_text_atomic
from ..curriculum import Curriculum, Lesson
from .pipeline.engines import CSS_PATH

_PAGE = """<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}
.course-track {{ margin: 1em 0 1.5em; }}
.course-lesson {{ border-top: 1px solid #ddd; padding: .6em 0; }}
.course-lesson h3 {{ margin: .2em 0; }}
.course-meta {{ color: #555; font-size: .95em; }}
.course-failed {{ color: #a00; }}
.course-notes {{ background: #f6f6f1; padding: .4em .8em; }}
</style></head>
<body><main>
<h1>{title}</h1>
{tracks}
<h2>Lessons · 课程</h2>
{lessons}
</main></body></html>
"""


def _both(text) -> str:
    return f"{html.escape(text.en)} · {html.escape(text.zh)}"


def _track_html(course: Curriculum) -> str:
    parts = []
    for key, track in course.tracks.items():
        lessons = course.track_lessons(key)
        names = ", ".join(f"{html.escape(lesson.id[:2])} {html.escape(lesson.title.en)}" for lesson in lessons)
        hours = course.track_minutes(key) / 60
        parts.append(
            f'<section class="course-track"><h2>{_both(track.title)}</h2>'
            f"<p>{html.escape(track.audience.en)}<br>{html.escape(track.audience.zh)}</p>"
            f'<p class="course-meta">{len(lessons)} lessons, {hours:.1f} hours · {len(lessons)} 课，'
            f"共 {hours:.1f} 小时: {names}</p></section>"
        )
    return "\n".join(parts)


def _lesson_html(lesson: Lesson, course: Curriculum, results: dict) -> str:
    tracks = ", ".join(_both(course.tracks[t].title) for t in lesson.tracks)
    before = ", ".join(html.escape(course.lesson(p).title.en) for p in lesson.prerequisites) or "none · 无"
    links = []
    for stem, label in ((lesson.id, "lesson · 课程"), (f"{lesson.id}_solutions", "worked answers · 练习解答")):
        result = results.get(stem)
        if result is not None and result.status == "ok":
            links.append(f'<a href="{html.escape(stem)}.html">{label}</a>')
        elif result is not None:
            links.append(
                f'<span class="course-failed">{label}: failed to run · 运行失败 ({html.escape(result.error)})</span>'
            )
    goals = "".join(f"<li>{html.escape(g.en)}<br>{html.escape(g.zh)}</li>" for g in lesson.goals)
    notes = "".join(f"<li>{html.escape(n.en)}<br>{html.escape(n.zh)}</li>" for n in lesson.trainer_notes)
    return (
        f'<article class="course-lesson" id="{html.escape(lesson.id)}">'
        f"<h3>{html.escape(lesson.id[:2])} · {_both(lesson.title)}</h3>"
        f'<p class="course-meta">{lesson.minutes} min · {tracks} · before this · 先修: {before}</p>'
        f"<p>{' · '.join(links)}</p>"
        f"<p><strong>Learning goals · 学习目标</strong></p><ul>{goals}</ul>"
        f'<div class="course-notes"><p><strong>Trainer notes · 讲师提示</strong></p><ul>{notes}</ul></div>'
        "</article>"
    )


def write_course_page(course: Curriculum, results, out_path) -> Path:
    """Write the course page to ``out_path``.

    Parameters
    ----------
    course : Curriculum
        The course (:func:`crmstudy.curriculum.load_curriculum`).
    results : iterable of LessonResult
        What the run made of each notebook (``name``, ``status``, ``error``); lessons not run are listed unlinked.
    out_path : path
        Usually ``<out>/index.html``, beside the rendered lessons.
    """
    by_name = {r.name: r for r in results}
    ran = [lesson for lesson in course.lessons if lesson.id in by_name or f"{lesson.id}_solutions" in by_name]
    page = _PAGE.format(
        title=_both(course.title),
        css=CSS_PATH.read_text(encoding="utf-8"),
        tracks=_track_html(course),
        lessons="\n".join(_lesson_html(lesson, course, by_name) for lesson in (ran or course.lessons)),
    )
    return write_text_atomic(Path(out_path), page)
