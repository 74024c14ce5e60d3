"""``python -m nbcourse``: the course's commands (nbcourse/cli.py).

A student's self-check, ``check NOTEBOOK``, is answered before the instructors' commands are imported:
a student's install (make student) has no nbgrader, SQLAlchemy or Dask.
"""

import sys


def run() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "check" and not sys.argv[2].startswith("-"):
        from nbcourse.selfcheck import main as check

        return check(sys.argv[2])
    from nbcourse.cli import main

    return main()


raise SystemExit(run())
