"""The instructor's one-page grading summary, written after ``nbcourse autograde``.

One self-contained HTML file (plots embedded as PNG, no external assets): per assignment, the
distribution of total scores and of each part's (grade cell's) scores with the counts; the
submissions that could not be graded and those with cells that were not run, with the reasons
from grading/; the date and the gradebook it was read from (password masked).

Scores are read with nbgrader's own API and counted as ``nbcourse export`` counts them: a
submission that could not be graded scores 0, whatever the gradebook holds for it.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from nbgrader.api import Gradebook
from sqlalchemy.engine import URL

from nbcourse.gradebook import gradebook_url
from nbcourse.status import Status, read_all


@dataclass
class Part:
    """One grade cell of an assignment and every submission's score on it."""

    name: str
    max_score: float
    scores: list[float] = field(default_factory=list)


@dataclass
class Summary:
    """One assignment: its parts and each submission's total, as in grades.csv."""

    name: str
    max_score: float
    parts: list[Part]
    totals: dict[str, float] = field(default_factory=dict)  # student -> score
    graded: int = 0


def read_gradebook(url: URL, statuses: dict[tuple[str, str], Status]) -> list[Summary]:
    """Every assignment in the gradebook, with the scores of its submissions (0 if not graded)."""
    summaries = []
    # course_id="": Gradebook() otherwise adds a course row when its id is missing; a report only reads.
    with Gradebook(url.render_as_string(hide_password=False), course_id="") as gradebook:
        for assignment in gradebook.assignments:
            several = len(assignment.notebooks) > 1
            parts = {(notebook.name, cell.name): Part(f"{notebook.name}/{cell.name}" if several else cell.name,
                                                      cell.max_score)
                     for notebook in assignment.notebooks for cell in notebook.grade_cells + notebook.task_cells}
            summary = Summary(assignment.name, assignment.max_score or 0.0, list(parts.values()))
            for submission in assignment.submissions:
                status = statuses.get((submission.student_id, assignment.name))
                graded = status is None or status.graded
                scores = {(notebook.name, grade.name): grade.score if graded else 0.0
                          for notebook in submission.notebooks for grade in notebook.grades}
                for key, part in parts.items():
                    part.scores.append(scores.get(key, 0.0))
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
    """``value`` as text safe in HTML (student ids and reasons come from students)."""
    return html.escape(str(value))


def table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table; the cells must be escaped already."""
    head = "".join(f"<th>{cell}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n" for row in rows)
    return f"<table>\n<tr>{head}</tr>\n{body}</table>\n"


def assignment_section(summary: Summary) -> str:
    """One assignment's counts, plots and per-part table."""
    totals = list(summary.totals.values())
    heading = f"<h2>{esc(summary.name)}</h2>\n"
    if not totals:
        return heading + "<p>No submissions in the gradebook.</p>\n"
    counts = table(["submissions", "graded", "not graded", "mean score", "highest score", "max score"],
                   [[str(len(totals)), str(summary.graded), str(len(totals) - summary.graded),
                     f"{np.mean(totals):.2f}", f"{max(totals):g}", f"{summary.max_score:g}"]])
    image = (f'<img src="data:image/png;base64,{figure(summary)}" '
             f'alt="distribution of total and part scores for {esc(summary.name)}">\n')
    parts = table(["part", "max score", "mean score", "full marks", "zero"],
                  [[esc(p.name), f"{p.max_score:g}", f"{np.mean(p.scores):.2f}",
                    str(sum(s >= p.max_score for s in p.scores)), str(sum(s <= 0 for s in p.scores))]
                   for p in summary.parts])
    return heading + counts + image + parts


def status_sections(statuses: dict[tuple[str, str], Status]) -> str:
    """The submissions that could not be graded, and the parts whose grade could not be computed."""
    ordered = [statuses[key] for key in sorted(statuses, key=lambda k: (k[1], k[0]))]
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
th { background: #f0f0f0; } img { max-width: 100%; } .meta { color: #666; }"""


def write_report(root: Path, to: str = "report.html") -> Path:
    """Write the grading summary of the course in ``root`` to ``root / to`` and return its path."""
    url = gradebook_url(root)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        raise SystemExit(f"no gradebook at {url.database}: run nbcourse autograde first")
    statuses = read_all(root)
    summaries = read_gradebook(url, statuses)
    made = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    sections = "".join(assignment_section(s) for s in summaries) or "<p>No assignments in the gradebook.</p>\n"
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Grading summary</title>
<style>
{STYLE}
</style></head>
<body><h1>Grading summary</h1>
<p class="meta">Made {esc(made)} from the gradebook {esc(url.render_as_string(hide_password=True))}.
Scores are as in grades.csv: after any late penalty, and 0 for a submission that could not be graded.</p>
{sections}{status_sections(statuses)}</body></html>
"""
    path = root / to
    path.write_text(page, encoding="utf-8")
    return path
