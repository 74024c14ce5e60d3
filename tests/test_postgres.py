"""The gradebook on a real PostgreSQL server: the awkward class of test_grading.py graded end to end
(a class graded across machines, on Dask workers sharing this gradebook, is in test_cluster.py)."""

from __future__ import annotations

import postgres
import pytest
from exercise_tools import make_course
from test_grading import ASSIGNMENT, check_class, class_of_students, grade

pytestmark = pytest.mark.grading


def test_the_awkward_class_on_postgresql(postgres_server, tmp_path):
    url = postgres.create_database(postgres_server, "awkward_class")
    course = make_course(tmp_path / "class", [ASSIGNMENT])
    expected = class_of_students(course)
    grade(course, env={"NNCOURSE_DB_URL": url})
    assert not (course / "gradebook.db").exists() or _only_release_in_sqlite(course)
    check_class(course, expected)


def _only_release_in_sqlite(course) -> bool:
    """make_course's release used the default SQLite gradebook; grading must not have."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="") as gradebook:
        return not any(a.submissions for a in gradebook.assignments)
