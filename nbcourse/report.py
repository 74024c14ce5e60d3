"""The page an instructor reads first after grading: ``nbcourse report`` writes ``report.html``.

One self-contained HTML file (plots embedded as PNG, nothing loaded from the network), about the
assignments set for the class only (nbcourse/export.py's ``read_class``; an assignment not set has
no section):

* what needs the instructor: parts that score 0 for everyone who submitted (a broken test or
  environment), submissions with no grade, submissions graded against older hidden tests;
* a table per student across the assignments (score, or not submitted / not graded / late);
* who did not submit, named; late submissions with their lateness and penalty; files a grading
  skipped (``Status.skipped_files``);
* per assignment: the distribution of totals and of each part's scores, and each part's most
  frequent named mistakes (what to re-teach), read from the verdicts the grader keeps in the
  autograded notebooks' graded cells (``nbcourse.trusted.VERDICT_METADATA``);
* the submissions that could not be graded and the parts whose grade could not be computed, with
  the reasons from grading/.

Scores are read with nbgrader's own API and counted as ``nbcourse export`` counts them: after the
late penalty, and a submission that could not be graded scores 0 in the plots.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sqlalchemy.engine import URL

from nbcourse.export import (
    ATTENTION,
    GRADED,
    NOT_DUE,
    NOT_GRADED,
    NOT_SUBMITTED,
    ClassGrades,
    lateness,
    number,
    open_gradebook,
    read_class,
)
from nbcourse.gradebook import gradebook_url
from nbcourse.preprocessors import is_test_cell
from nbcourse.status import Status, read_all
from nbcourse.trusted import VERDICT_METADATA

TOP_MISTAKES = 5
# The verdict text check_function writes ("...: it looks like <mistake>. <hint>"): read only from
# notebooks graded before the grader kept the verdict as data in the cell's metadata.
OLD_VERDICT = re.compile(r": it looks like (.+?)\.(?:\s|$)")


@dataclass
class Part:
    """One grade cell of an assignment and every submission's score on it."""

    name: str
    max_score: float
    scores: list[float] = field(default_factory=list)         # every submission (0 when not graded)
    graded_scores: list[float] = field(default_factory=list)  # the submissions that were graded
    mistakes: Counter = field(default_factory=Counter)         # named mistake -> students who made it
    failed: int = 0                                            # graded submissions that lost this part
    to_grade: int = 0                                          # answers waiting for a TA (no score yet, not 0)

    @property
    def zero_for_everyone(self) -> bool:
        """Every graded submission scored 0 on a part worth points: the test or the environment, not the class."""
        return self.max_score > 0 and len(self.graded_scores) >= 2 and max(self.graded_scores) <= 0


@dataclass
class Summary:
    """One assignment: its parts and each submission's total, as in grades.csv."""

    name: str
    max_score: float
    parts: list[Part]
    totals: dict[str, float] = field(default_factory=dict)  # student -> score
    graded: int = 0


def read_gradebook(url: URL, statuses: dict[tuple[str, str], Status], names: list[str] | None = None) -> list[Summary]:
    """The assignments ``names`` (default: all) in the gradebook, with the scores of their submissions
    (0 if not graded)."""
    summaries = []
    from nbgrader.api import Gradebook

    # course_id="": Gradebook() otherwise adds a course row when its id is missing; a report only reads.
    with Gradebook(url.render_as_string(hide_password=False), course_id="") as gradebook:
        for assignment in gradebook.assignments:
            if names is not None and assignment.name not in names:
                continue
            several = len(assignment.notebooks) > 1
            parts = {(notebook.name, cell.name): Part(f"{notebook.name}/{cell.name}" if several else cell.name,
                                                      cell.max_score)
                     for notebook in assignment.notebooks for cell in notebook.grade_cells + notebook.task_cells}
            summary = Summary(assignment.name, assignment.max_score or 0.0, list(parts.values()))
            for submission in assignment.submissions:
                status = statuses.get((submission.student_id, assignment.name))
                graded = status is None or status.graded
                # None: an answer a TA has not graded yet (nbgrader counts it 0 in ``score``)
                scores = {(notebook.name, grade.name): None if graded and grade.needs_manual_grade
                          and grade.manual_score is None else grade.score if graded else 0.0
                          for notebook in submission.notebooks for grade in notebook.grades}
                for key, part in parts.items():
                    score = scores.get(key, 0.0)
                    if score is None:  # not a 0: left out of the part's scores, counted as waiting
                        part.to_grade += 1
                        continue
                    part.scores.append(score)
                    if graded:
                        part.graded_scores.append(score or 0.0)
                penalty = submission.late_submission_penalty or 0.0
                summary.totals[submission.student_id] = max(0.0, submission.score - penalty) if graded else 0.0
                summary.graded += graded
            # Submissions grading failed on before nbgrader recorded them: in grades.csv with 0, so here too.
            for (student, name), status in statuses.items():
                if name == assignment.name and student not in summary.totals:
                    summary.totals[student] = 0.0
                    summary.graded += bool(status.graded)
                    for part in parts.values():
                        part.scores.append(0.0)
            summaries.append(summary)
    return summaries


def count_mistakes(root: Path, summary: Summary, grades: ClassGrades) -> None:
    """Fill each part's named mistakes from the graded cells of the autograded notebooks of the students
    whose submission was graded (the grader's verdict, kept as data in the cell's metadata)."""
    by_cell = {part.name: part for part in summary.parts}
    several = any("/" in p.name for p in summary.parts)  # read_gradebook names parts notebook/cell then
    for person in grades.students:
        if grades.result(person.id, summary.name).state not in (GRADED, ATTENTION):
            continue
        for path in sorted((root / "autograded" / person.id / summary.name).glob("*.ipynb")):
            try:
                notebook = nbformat.read(path, as_version=4)
            except Exception:  # listed as not graded elsewhere; its mistakes are not worth a crash
                continue
            for cell in notebook.cells:
                if not is_test_cell(cell):
                    continue
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
                part = by_cell.get(f"{path.stem}/{grade_id}" if several else grade_id)
                if part is None:
                    continue
                verdict = cell.metadata.get(VERDICT_METADATA)
                if verdict is None:  # graded before the verdict was kept as data: its text says the same
                    errors = [str(o.get("evalue", "")) for o in cell.get("outputs", [])
                              if o.get("output_type") == "error"]
                    named = [m[1] for m in map(OLD_VERDICT.search, errors) if m]
                    verdict = {"passed": not errors, "mistake": named[0] if named else None}
                if verdict.get("graded") is False:  # the grader could not judge it: not the student's mistake
                    continue
                if not verdict.get("passed"):
                    part.failed += 1
                    if verdict.get("mistake"):
                        part.mistakes[verdict["mistake"]] += 1


# ---- HTML -----------------------------------------------------------------------------------

def bins(max_score: float) -> np.ndarray:
    """Histogram bins: one per whole point for whole-point scores, else 20 across the range."""
    if max_score <= 0:
        return np.array([-0.5, 0.5])
    if float(max_score).is_integer() and max_score <= 40:
        return np.arange(max_score + 2) - 0.5
    return np.linspace(0.0, max_score, 21)


def figure(summary: Summary) -> str:
    """The assignment's total and part score histograms, as a base64 PNG."""
    panels = [("total score", summary.max_score, list(summary.totals.values()))]
    panels += [(part.name, part.max_score, part.scores) for part in summary.parts]
    columns = min(len(panels), 4)
    rows = -(-len(panels) // columns)
    fig = Figure(figsize=(3.2 * columns, 2.4 * rows), layout="constrained")
    FigureCanvasAgg(fig)  # not pyplot: no global registry holding figures to close
    for index, (title, max_score, scores) in enumerate(panels):
        axes = fig.add_subplot(rows, columns, index + 1)
        axes.hist(scores, bins=bins(max_score), color="tab:blue" if index == 0 else "tab:gray", edgecolor="white")
        mean = f"mean {np.mean(scores):.2f}" if scores else "no scores"
        axes.set_title(f"{title}\n{mean} of {max_score:g}", fontsize=9)
        axes.set_xlabel("score", fontsize=8)
        axes.set_ylabel("submissions", fontsize=8)
        axes.xaxis.get_major_locator().set_params(integer=float(max_score).is_integer())
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.tick_params(labelsize=7)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def esc(value: object) -> str:
    """``value`` as text safe in HTML (student ids, names and reasons come from students)."""
    return html.escape(str(value))


def table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table; the cells must be escaped already."""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n" for row in rows)
    return f"<table>\n<tr>{head}</tr>\n{body}</table>\n"


def listed(rows: list[list[str]], header: list[str], none: str = "None.") -> str:
    return table(header, rows) if rows else f"<p>{none}</p>\n"


def who(grades: ClassGrades, student: str) -> str:
    person = next(p for p in grades.students if p.id == student)
    return esc(person.id) if person.full_name == person.id else f"{esc(person.full_name)} ({esc(person.id)})"


def attention_section(summaries: list[Summary], grades: ClassGrades) -> str:
    """What to look at before anything else (a broken part, grades missing or out of date)."""
    items = []
    for summary in summaries:
        for part in summary.parts:
            if part.zero_for_everyone:
                items.append(f'<li class="warning">{esc(summary.name)}, part <code>{esc(part.name)}</code>: 0 for '
                             f"everyone who submitted ({len(part.graded_scores)} graded submissions). A broken test "
                             "or environment is more likely than a class that all got it wrong: grade the solution "
                             "(<code>nbcourse autograde</code> runs a preflight), read a few verdicts, then regrade."
                             "</li>")
    results = [(p.id, a.name, grades.result(p.id, a.name)) for p in grades.students for a in grades.assignments]
    manual = [r for r in results if r[2].manual]
    if manual:
        items.append(f'<li class="warning">{len(manual)} submission(s) need manual grading: a written answer to '
                     "grade in nbgrader's formgrader (README: <em>Written answers</em>); no grade until then, "
                     f"never 0: {', '.join(f'{who(grades, s)} ({esc(a)})' for s, a, _ in manual)}.</li>")
    missing = [r for r in results if r[2].state in (NOT_GRADED, ATTENTION) and not r[2].manual]
    if missing:
        items.append(f'<li class="warning">{len(missing)} submission(s) have no grade yet (listed below, with why): '
                     "the LMS exports leave their cells empty, never 0.</li>")
    stale = [r for r in results if r[2].stale]
    if stale:
        items.append(f'<li class="warning">{len(stale)} submission(s) were graded against older hidden tests than the '
                     "current ones (listed below): run <code>nbcourse autograde</code> again.</li>")
    page = "<h2>Needs your attention</h2>\n"
    return page + (f"<ul>\n{''.join(items)}\n</ul>\n" if items else "<p>Nothing: every set assignment is graded "
                                                                    "with the current tests.</p>\n")


MARKS = {NOT_SUBMITTED: "not submitted", NOT_DUE: "not due yet", NOT_GRADED: "not graded",
         ATTENTION: "needs attention"}


def student_table(grades: ClassGrades) -> str:
    """One row per student: the score on each set assignment, or why there is none; late marked."""
    header = ["student", "name", *[esc(a.name) + f"<br><small>of {number(a.max_score)}</small>" for a in
                                   grades.assignments], f"total<br><small>of {number(grades.max_total)}</small>"]
    rows = []
    for person in grades.students:
        cells = [esc(person.id), esc(person.full_name if person.on_roster else "(not on the roster)")]
        for a in grades.assignments:
            result = grades.result(person.id, a.name)
            if result.state == GRADED:
                text = number(result.score or 0.0)
            else:
                mark = "needs manual grading" if result.manual else MARKS[result.state]
                text = f'<span class="{result.state.replace(" ", "-")}">{mark}</span>'
                if result.state == ATTENTION:
                    text += f" (raw {number(max(0.0, result.raw_score - result.penalty))})"
            if result.late:
                text += f' <span class="late">late {lateness(result.seconds_late)}</span>'
            if result.stale:
                text += ' <span class="stale">older tests</span>'
            cells.append(text)
        total = grades.total(person.id)
        cells.append("" if total is None else number(total))
        rows.append(cells)
    return "<h2>Students</h2>\n" + listed(rows, header, "No students in the gradebook.")


def lists_section(grades: ClassGrades, statuses: dict[tuple[str, str], Status]) -> str:
    """Who did not submit, late work, skipped files and grades from older hidden tests, named."""
    page = "<h2>Did not submit</h2>\n"
    rows = []
    for a in grades.assignments:
        absent = [p.id for p in grades.students if grades.result(p.id, a.name).state == NOT_SUBMITTED]
        if absent:
            rows.append([esc(a.name), str(len(absent)), ", ".join(who(grades, s) for s in absent)])
    page += listed(rows, ["assignment", "students", "who"], "Everyone submitted every assignment that is due.")
    page += "<h2>Late submissions</h2>\n"
    late = [[esc(a.name), who(grades, p.id), esc(r.timestamp or ""), lateness(r.seconds_late), number(r.penalty)]
            for a in grades.assignments for p in grades.students if (r := grades.result(p.id, a.name)).late]
    page += "<p>Their score already has nbgrader's late penalty taken off.</p>\n" if late else ""
    page += listed(late, ["assignment", "student", "submitted (UTC)", "late by", "penalty"])
    page += "<h2>Files grading skipped</h2>\n"
    names = {a.name for a in grades.assignments}
    skipped = [[esc(s.assignment), who(grades, s.student), "<br>".join(esc(f) for f in files)]
               for (student, assignment), s in sorted(statuses.items(), key=lambda kv: (kv[0][1], kv[0][0]))
               if assignment in names and (files := list(getattr(s, "skipped_files", None) or []))]
    page += ("<p>Files in a submission that were not graded (a second copy of a notebook, a name the "
             "assignment does not have): check that the graded one is the one the student meant.</p>\n"
             if skipped else "")
    page += listed(skipped, ["assignment", "student", "skipped files"])
    page += "<h2>Graded against older hidden tests</h2>\n"
    stale = [[esc(a.name), who(grades, p.id), esc((r.status.tests if r.status else "") or "")]
             for a in grades.assignments for p in grades.students if (r := grades.result(p.id, a.name)).stale]
    page += listed(stale, ["assignment", "student", "tests it was graded with"])
    return page


def assignment_section(summary: Summary) -> str:
    """One assignment's counts, plots, per-part table, broken-part warnings and most frequent mistakes."""
    totals = list(summary.totals.values())
    heading = f"<h2>{esc(summary.name)}</h2>\n"
    if not totals:
        return heading + "<p>No submissions yet.</p>\n"
    counts = table(["submissions", "graded", "not graded", "mean score", "highest score", "max score"],
                   [[str(len(totals)), str(summary.graded), str(len(totals) - summary.graded),
                     f"{np.mean(totals):.2f}", f"{max(totals):g}", f"{summary.max_score:g}"]])
    image = (f'<img src="data:image/png;base64,{figure(summary)}" '
             f'alt="distribution of total and part scores for {esc(summary.name)}">\n')
    parts = table(["part", "max score", "mean score", "full marks", "zero"],
                  [[esc(p.name) + (f" ({p.to_grade} to grade by hand)" if p.to_grade else ""), f"{p.max_score:g}",
                    f"{np.mean(p.scores):.2f}" if p.scores else "-",
                    str(sum(s >= p.max_score for s in p.scores)), str(sum(s <= 0 for s in p.scores))]
                   for p in summary.parts])
    warnings = "".join(f'<p class="warning">Part <code>{esc(p.name)}</code> scores 0 for everyone who submitted: '
                       "check its test and the environment before re-teaching it.</p>\n"
                       for p in summary.parts if p.zero_for_everyone)
    mistakes = f"<h3>Most frequent mistakes in {esc(summary.name)}</h3>\n"
    rows = []
    for part in summary.parts:
        for mistake, count in part.mistakes.most_common(TOP_MISTAKES):
            rows.append([esc(part.name), esc(mistake), str(count)])
        unnamed = part.failed - sum(part.mistakes.values())
        if part.failed and unnamed:
            rows.append([esc(part.name), "<em>other (no known mistake matched; read their feedback)</em>",
                         str(unnamed)])
    mistakes += listed(rows, ["part", "mistake", "students"], "No part was failed by a graded submission.")
    return heading + warnings + counts + image + parts + mistakes


def status_sections(statuses: dict[tuple[str, str], Status], names: set[str]) -> str:
    """The submissions that could not be graded, and the parts whose grade could not be computed."""
    ordered = [statuses[key] for key in sorted(statuses, key=lambda k: (k[1], k[0])) if key[1] in names]
    failed = [[esc(s.assignment), esc(s.student), esc(s.reason)] for s in ordered if not s.graded]
    ungraded = [[esc(s.assignment), esc(s.student), "<br>".join(esc(f"{k}: {v}") for k, v in s.ungraded_parts.items())]
                for s in ordered if s.graded and s.ungraded_parts]
    page = "<h2>Submissions that could not be graded</h2>\n"
    page += (table(["assignment", "student", "reason"], failed) if failed else "<p>None.</p>\n")
    page += "<h2>Parts whose grade could not be computed</h2>\n"
    page += "<p>These parts score 0 until the problem (named here) is fixed and the submission regraded.</p>\n"
    page += (table(["assignment", "student", "why"], ungraded) if ungraded else "<p>None.</p>\n")
    return page


STYLE = """body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } img { max-width: 100%; } .meta { color: #666; }
.warning { color: #8a1f11; } .not-submitted, .not-graded, .needs-attention { color: #8a1f11; }
.late, .stale { color: #8a5a00; font-size: smaller; } .not-due-yet { color: #666; }"""


def write_report(root: Path, to: str = "report.html") -> Path:
    """Write the report of the course in ``root`` to ``root / to`` and return its path."""
    url = gradebook_url(root)
    open_gradebook(root).close()  # no gradebook: a clear error, and no new empty gradebook
    statuses = read_all(root)
    grades = read_class(root)
    names = [a.name for a in grades.assignments]
    summaries = {s.name: s for s in read_gradebook(url, statuses, names)}
    ordered = [summaries.get(name) or _empty(name, grades) for name in names]
    for summary in ordered:
        count_mistakes(root, summary, grades)
    made = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    if names:
        body = (attention_section(ordered, grades) + student_table(grades) + lists_section(grades, statuses)
                + "".join(assignment_section(s) for s in ordered) + status_sections(statuses, set(names)))
    else:
        body = ("<p>No assignment is set for the class yet (none in schedule.toml, no submissions): "
                "nothing to report.</p>\n")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grading report</title>
<style>
{STYLE}
</style></head>
<body><h1>Grading report</h1>
<p class="meta">Made {esc(made)} from the gradebook {esc(url.render_as_string(hide_password=True))}, for the
assignments set for the class: {esc(", ".join(names) or "none")}.
Scores are as in the exports: after any late penalty; a submission that could not be graded has no grade
(0 in the plots).</p>
{body}</body></html>
"""
    path = root / to
    path.write_text(page, encoding="utf-8")
    return path


def _empty(name: str, grades: ClassGrades) -> Summary:
    """A set assignment the gradebook does not have yet (never released into it): no submissions."""
    assignment = next(a for a in grades.assignments if a.name == name)
    return Summary(name, assignment.max_score, [])
