"""How fast does the course grade a class? ``nbcourse autograde`` against plain sequential nbgrader.

A synthetic class of ``--students`` students (default 100) submits three quick assignments
(02_forward_propagation, 06_activation_functions, 07_loss_functions), one notebook each.
The submissions are a mix, as a real class is: 60 % complete solutions, 25 % with one or
two wrong answers (from tests/wrong_answers/<assignment>.py), and 15 % broken: a file that
is not JSON, a notebook whose answer crashes its kernel (a segmentation fault from an
out-of-bounds ``as_strided`` view), or the release handed back untouched. No endless
loops: each would cost both contenders the full cell time limit and swamp the comparison.

The class is built once, copied into two fresh scratch courses, and each copy is graded,
in turn, in this one run:

(a) sequential: plain nbgrader, ``python -m nbgrader autograde <assignment> --force`` once
    per assignment (one nbgrader process grades all its students, one after another), and
(b) ours: ``python -m nbcourse autograde --workers N`` (default N = nbcourse's own default, cores + 1),
    a local Dask cluster of N graders (nbcourse/cluster.py), one submission at a time each.

Both read the course's own nbgrader_config.py (so both run kernels in the sandbox and check
each part in the trusted grader, nbcourse/trusted.py), in the same environment: the venv's
bin first on PATH (nbgrader runs ``alembic`` from there), OMP_NUM_THREADS=1 as in the Makefile, each course's own SQLite
gradebook. ``nbgrader generate_assignment`` runs in both courses before the clocks start,
so neither time includes it. Printed: notebooks graded per minute by each, their ratio
(ours / sequential; target >= 1.8x on 2 cores), and whether the grades are identical: the
total score of every (student, assignment) in each gradebook, 0 for a submission that
could not be graded at all (no autograded notebook). Exit status 1 if they differ.

Each contender takes minutes, so each runs once, not best-of-several as in train_speed.py:
the load average is printed around each run, to tell a disturbed measurement.

``--neighbours`` measures something else: the seconds an honest submission takes to grade
beside a submission whose cell keeps four busy child processes running and one that forks
until its process limit, against its seconds alone (target: at most 1.5 times). Each
submission's seconds are nbcourse's own (grading/<assignment>/<student>.json), measured in
one run of each, three workers so that all three are graded at once.

``--per-assignment`` measures the seconds one complete submission of each assignment takes to
grade (nbcourse's own figure, from grading/<assignment>/<student>.json), with one worker on an
otherwise idle machine, ``--repeats`` submissions each; printed beside the seconds measured
before trusted grading (2026-11-30, ``BEFORE``), with their ratio (target: at most 1.2).

    .venv/bin/python benchmarks/grading_speed.py [--students 100] [--workers N] [--keep]
    .venv/bin/python benchmarks/grading_speed.py --neighbours [--repeats 3]
    .venv/bin/python benchmarks/grading_speed.py --per-assignment [--repeats 3]
    .venv/bin/python benchmarks/grading_speed.py --dask [--students 30]

``--dask`` grades one class (default 30 students, 90 notebooks) through a real Dask cluster on this
machine, as across machines (README: grading across machines): `dask scheduler` and one, then two,
`dask worker --nthreads 1` processes, with a PostgreSQL gradebook (a throwaway server, as the
tests start one), ``nbcourse autograde --scheduler ADDRESS`` timed. The preflight and the release
run before the clock. Printed: the seconds of each, their ratio (target >= 1.8x), whether the
grades are identical, and PostgreSQL's own account of the gradebook's work per notebook
(transactions, and milliseconds spent executing statements: ``pg_stat_database.active_time``),
which is what the estimate for a large class on many machines starts from.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the exercise tests' helpers build scratch courses

from exercise_tools import answers_of, filled, make_course, notebook_path, submit, wrong_answers  # noqa: E402

from nbcourse.workers import default_workers  # noqa: E402

ASSIGNMENTS = ("02_forward_propagation", "06_activation_functions", "07_loss_functions")
KERNEL_CRASH = ("import numpy as np\n\n"
                "np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2**40,), strides=(2**20,)).sum()\n")
# Shares of the class, in this order; the broken share is split evenly between the three kinds after it.
MIX = (("complete", 0.60), ("wrong answers", 0.25))
BROKEN = ("not JSON", "kernel crash", "untouched release")

Key = tuple[str, str]  # (student, assignment)
# Seconds to grade one complete submission before trusted grading (hidden tests in the student's kernel),
# from the scratch course of a full test run on 2026-11-30: the reference of --per-assignment.
BEFORE = {"01_training_recipe": 6.0, "02_forward_propagation": 5.8, "03_backpropagation": 5.8,
          "04_gradient_descent": 6.0, "05_adaptive_learning_rates": 6.5, "06_activation_functions": 6.7,
          "07_loss_functions": 6.9, "08_weight_initialisation": 6.5, "09_regularisation": 6.1,
          "10_hands_on": 6.2, "11_layers_and_nodes": 7.6, "12_keras": 23.0, "13_images": 8.3}


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def environment() -> dict[str, str]:
    """What both contenders run in: the venv first on PATH, one BLAS thread, each course's own gradebook."""
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("NNCOURSE_DB_URL", None)  # default sqlite:///gradebook.db, relative to each course
    return env


def kinds_of(students: list[str], seed: int) -> dict[Key, str]:
    """Which kind of submission each (student, assignment) is: exact shares of the class, shuffled."""
    keys = [(s, a) for s in students for a in ASSIGNMENTS]
    random.Random(seed).shuffle(keys)
    kinds: dict[Key, str] = {}
    start = 0
    for kind, share in MIX:
        count = round(share * len(keys))
        kinds.update((key, kind) for key in keys[start:start + count])
        start += count
    for index, key in enumerate(keys[start:]):
        kinds[key] = BROKEN[index % len(BROKEN)]
    return kinds


def class_notebooks(course: Path, names: list[str], seed: int) -> tuple[dict[Key, str], dict[Key, object]]:
    """Each (student, assignment)'s kind and its notebook (or, for "not JSON", its text), from the course's release."""
    rng = random.Random(seed)
    kinds = kinds_of(names, seed)
    notebooks: dict[Key, object] = {}
    for assignment in ASSIGNMENTS:
        release = nbformat.read(notebook_path(course / "exercises", assignment), as_version=4)
        solution = nbformat.read(notebook_path(ROOT / "solutions", assignment), as_version=4)
        wrong = wrong_answers(assignment)
        first_answer = f"{next(iter(wrong))}_answer"
        for student in names:
            kind = kinds[(student, assignment)]
            if kind == "complete":
                notebook = filled(release, solution)
            elif kind == "wrong answers":
                parts = rng.sample(sorted(wrong), rng.choice((1, 2)))
                notebook = filled(release, solution, {f"{p}_answer": rng.choice(wrong[p])[1] for p in parts})
            elif kind == "not JSON":
                notebook = "{ this is not a notebook"
            elif kind == "kernel crash":
                notebook = filled(release, solution, {first_answer: KERNEL_CRASH})
            else:
                notebook = release
            notebooks[(student, assignment)] = notebook
    return kinds, notebooks


def build_class(course: Path, students: int, seed: int) -> dict[Key, str]:
    """A scratch course (the real config, the three assignments released) with every submission in place."""
    make_course(course, list(ASSIGNMENTS))
    names = [f"student{i:03d}" for i in range(students)]
    kinds, notebooks = class_notebooks(course, names, seed)
    for (student, assignment), notebook in notebooks.items():
        submit(course, student, assignment, notebook)
    return kinds


def run(command: list[str], course: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, result


def nbgrader(*args: str) -> list[str]:
    return [sys.executable, "-m", "nbgrader", *args]


def generate_assignments(course: Path, env: dict[str, str]) -> None:
    generate_assignments_for(course, env, list(ASSIGNMENTS))


def mark_released(course: Path, env: dict[str, str]) -> list[Path]:
    """Let nbcourse know the gradebook is ready, so that it does not redo generate_assignment on the clock.

    ``nbcourse autograde`` runs generate_assignment itself unless grading/<assignment>/.released says this
    gradebook already has the current solutions; its own ``ensure_in_gradebook`` writes that stamp.
    """
    code = ("import sys\nfrom pathlib import Path\nfrom nbcourse.gradebook import ensure_in_gradebook\n"
            "ensure_in_gradebook(Path.cwd(), sys.argv[1:])\n")
    _, result = run([sys.executable, "-c", code, *ASSIGNMENTS], course, env)
    if result.returncode != 0:
        print(f"note: could not stamp the gradebook as prepared ({result.stderr.strip().splitlines()[-1:]}); "
              "nbcourse may redo generate_assignment inside its time")
    return sorted((course / "grading").glob("*/.released"))


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def tail(result: subprocess.CompletedProcess, lines: int = 15) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def grade_sequentially(course: Path, env: dict[str, str]) -> float:
    """(a) one plain ``nbgrader autograde`` process per assignment, one after another."""
    total = 0.0
    for assignment in ASSIGNMENTS:
        seconds, result = run(nbgrader("autograde", assignment, "--force"), course, env)
        total += seconds
        # nbgrader grades the rest of the class after a failed submission, then exits 1.
        print(f"    nbgrader autograde {assignment}: {seconds:.1f} s (exit status {result.returncode})")
    return total


def grade_with_pool(course: Path, env: dict[str, str], workers: int) -> float:
    """(b) ``nbcourse autograde --workers N``: every assignment in one command."""
    seconds, result = run([sys.executable, "-m", "nbcourse", "autograde", "--workers", str(workers)], course, env)
    summary = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print(f"    nbcourse autograde --workers {workers}: {seconds:.1f} s (exit status {result.returncode}; "
          f"{summary[0]})")
    if result.returncode != 0:
        raise SystemExit(f"nbcourse autograde failed:\n{tail(result)}")
    return seconds


def scores(course: Path, keys: list[Key]) -> dict[Key, float]:
    """Every (student, assignment)'s total score in the course's gradebook; 0 when it could not be graded."""
    from nbgrader.api import Gradebook
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    found: dict[Key, float] = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", config.CourseDirectory.course_id) as gradebook:
        for assignment in ASSIGNMENTS:
            for submission in gradebook.assignment_submissions(assignment):
                found[(submission.student.id, assignment)] = submission.score
    return {key: found.get(key, 0.0) if graded(course, key) else 0.0 for key in keys}


def graded(course: Path, key: Key) -> bool:
    """nbgrader removes the autograded notebook of a submission it failed to grade."""
    student, assignment = key
    return notebook_path(course / "autograded" / student, assignment).is_file()


def why(course: Path, key: Key) -> str:
    """nbcourse's own account of a submission it could not grade (grading/<assignment>/<student>.json)."""
    student, assignment = key
    path = course / "grading" / assignment / f"{student}.json"
    if not graded(course, key) and path.is_file():
        status = json.loads(path.read_text())
        errors = [line.strip() for line in status["log"].splitlines()
                  if ("Error:" in line or "Exception:" in line or "Entry:" in line) and "NbGraderException" not in line]
        return f"; nbcourse: {status['reason']}" + (f" [{errors[-1][:200]}]" if errors else "")
    return ""


BUSY = ("import os\nimport time\n\nfor _ in range(4):\n    if os.fork() == 0:\n"
        "        os.execv('/bin/sh', ['sh', '-c', 'while :; do :; done'])\ntime.sleep(20)\n")
BOMB = ("import os\n\nfor _ in range(5000):\n    try:\n        if os.fork() == 0:\n"
        "            os.execv('/bin/sleep', ['sleep', '600'])\n    except OSError:\n        pass\n")


def neighbours(scratch: Path, env: dict[str, str], repeats: int) -> int:
    """Seconds of an honest submission beside a busy and a forking one, against alone."""
    assignment = "02_forward_propagation"
    release_and_solution = None
    ratios = []
    for repeat in range(repeats):
        times = {}
        for setting, others in (("alone", {}), ("beside", {"busy": BUSY, "bomb": BOMB})):
            course = scratch / f"neighbours-{repeat}-{setting}"
            make_course(course, [assignment])
            if release_and_solution is None:
                release_and_solution = (nbformat.read(notebook_path(course / "exercises", assignment), as_version=4),
                                        nbformat.read(notebook_path(ROOT / "solutions", assignment), as_version=4))
            release, solution = release_and_solution
            submit(course, "honest", assignment, filled(release, solution))
            for student, code in others.items():
                answer = answers_of(solution)["sigmoid_answer"]
                submit(course, student, assignment, filled(release, solution, {"sigmoid_answer": code + answer}))
            generate_assignments_for(course, env, [assignment])
            _, result = run([sys.executable, "-m", "nbcourse", "autograde", "--workers", "3"], course, env)
            if result.returncode != 0:
                raise SystemExit(f"nbcourse autograde failed:\n{tail(result)}")
            status = json.loads((course / "grading" / assignment / "honest.json").read_text())
            times[setting] = status["seconds"]
        ratios.append(times["beside"] / times["alone"])
        print(f"    run {repeat + 1}: honest alone {times['alone']:.1f} s, beside a busy and a forking "
              f"submission {times['beside']:.1f} s: {ratios[-1]:.2f}x ({load()})")
    print(f"honest submission beside busy and forking neighbours: {min(ratios):.2f}x at best, "
          f"{max(ratios):.2f}x at worst of {repeats} (target <= 1.5x)")
    return 0


def per_assignment(scratch: Path, env: dict[str, str], repeats: int) -> int:
    """Seconds per complete submission of each assignment, one worker, against BEFORE."""
    from exercise_tools import assignment_names

    names = assignment_names()
    course = make_course(scratch / "per-assignment", names)
    for assignment in names:
        release = nbformat.read(notebook_path(course / "exercises", assignment), as_version=4)
        solution = nbformat.read(notebook_path(ROOT / "solutions", assignment), as_version=4)
        for repeat in range(repeats):
            submit(course, f"complete{repeat}", assignment, filled(release, solution))
    print(f"grading {repeats} complete submission(s) of each of {len(names)} assignments, one worker ({load()})")
    _, result = run([sys.executable, "-m", "nbcourse", "autograde", "--workers", "1"], course, env)
    if result.returncode != 0:
        raise SystemExit(f"nbcourse autograde failed:\n{tail(result)}")
    print(f"    ({load()} after)")
    print("| assignment | before (s) | now (s), median | ratio |\n|---|---|---|---|")
    worst = 0.0
    for assignment in names:
        seconds = sorted(json.loads((course / "grading" / assignment / f"complete{r}.json").read_text())["seconds"]
                         for r in range(repeats))
        median = seconds[len(seconds) // 2]
        before = BEFORE.get(assignment)
        ratio = f"{median / before:.2f}x" if before else "(new)"
        worst = max(worst, median / before) if before else worst
        print(f"| {assignment} | {before if before else '-'} | {median:.1f} | {ratio} |")
    print(f"worst ratio {worst:.2f}x (target <= 1.2x)")
    return 0


def prepare(course: Path, env: dict[str, str]) -> None:
    """Release into the gradebook and run the preflight before the clock, as a second autograde would find them."""
    code = ("import sys\nfrom pathlib import Path\nfrom nbcourse.cli import preflight\n"
            "from nbcourse.release import release_assignment\n"
            "for name in sys.argv[1:]:\n    release_assignment(Path.cwd(), name)\n"
            "preflight(Path.cwd(), sys.argv[1:])\n")
    _, result = run([sys.executable, "-c", code, *ASSIGNMENTS], course, env)
    if result.returncode != 0:
        raise SystemExit(f"preparing {course} failed:\n{tail(result)}")


def gradebook_work(url: str) -> tuple[int, float]:
    """(transactions committed, milliseconds executing statements) in this database so far."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_force_next_flush()")
        row = connection.execute("SELECT xact_commit, active_time FROM pg_stat_database "
                                 "WHERE datname = current_database()").fetchone()
    return int(row[0]), float(row[1])


def dask_mode(scratch: Path, env: dict[str, str], students: int, seed: int) -> int:
    """One class through `dask scheduler` and 1, then 2, `dask worker` processes, on PostgreSQL."""
    import dask_cluster
    import postgres

    kinds = build_class(scratch / "class", students, seed)
    keys = sorted(kinds)
    print(f"{students} students x {len(ASSIGNMENTS)} assignments = {len(keys)} notebooks, "
          f"{cores()} cores, OMP_NUM_THREADS={env['OMP_NUM_THREADS']}")
    times, grades, work, cpu = {}, {}, {}, {}
    with postgres.server() as server:
        for workers in (1, 2):
            course = scratch / f"dask-{workers}"
            shutil.copytree(scratch / "class", course)
            url = postgres.create_database(server, f"dask_{workers}")
            course_env = {**env, "NNCOURSE_DB_URL": url}
            prepare(course, course_env)
            with dask_cluster.cluster(scratch / f"cluster-{workers}", workers, env=course_env) as running:
                before = gradebook_work(url)
                print(f"    {workers} worker(s) at {running.address} ({load()})")
                used = resource.getrusage(resource.RUSAGE_CHILDREN)
                seconds, result = run([sys.executable, "-m", "nbcourse", "autograde", "--scheduler", running.address],
                                      course, course_env)
                now = resource.getrusage(resource.RUSAGE_CHILDREN)
                after = gradebook_work(url)
                cpu[workers] = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
            if result.returncode != 0:
                raise SystemExit(f"nbcourse autograde --scheduler failed:\n{tail(result)}")
            print(f"    {seconds:.1f} s ({result.stdout.strip().splitlines()[-1]}) ({load()} after)")
            times[workers], work[workers] = seconds, (after[0] - before[0], after[1] - before[1])
            grades[workers] = dict(zip(keys, (float(r) for r in export_scores(course, course_env, keys)), strict=True))
    ratio = times[1] / times[2]
    print(f"1 worker: {times[1]:.1f} s ({times[1] / len(keys):.2f} s per notebook); 2 workers: {times[2]:.1f} s; "
          f"speed-up {ratio:.2f}x (target >= 1.8x)")
    for workers, (transactions, active) in work.items():
        print(f"gradebook, {workers} worker(s): {transactions / len(keys):.0f} transactions and "
              f"{active / len(keys):.0f} ms of statements per notebook")
    print(f"the coordinating process (nbcourse autograde --scheduler, start-up included): {cpu[2]:.1f} CPU s, "
          f"{1000 * cpu[2] / len(keys):.0f} ms per notebook")
    same = grades[1] == grades[2]
    print("grades identical" if same else f"grades DIFFER: {[k for k in keys if grades[1][k] != grades[2][k]]}")
    return 0 if same else 1


def export_scores(course: Path, env: dict[str, str], keys: list[Key]) -> list[str]:
    _, result = run([sys.executable, "-m", "nbcourse", "export", "--to", "scores.csv"], course, env)
    if result.returncode != 0:
        raise SystemExit(f"export failed:\n{tail(result)}")
    import csv

    with open(course / "scores.csv") as handle:
        table = {(r["student_id"], r["assignment"]): r["score"] for r in csv.DictReader(handle)}
    return [table[key] for key in keys]


def generate_assignments_for(course: Path, env: dict[str, str], names: list[str]) -> None:
    for assignment in names:
        _, result = run(nbgrader("generate_assignment", assignment, "--force"), course, env)
        if result.returncode != 0:
            raise SystemExit(f"generate_assignment {assignment} failed in {course}:\n{result.stderr[-3000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=None, help="default 100 (30 with --dask)")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="nbcourse's worker processes (default: nbcourse autograde's, cores + 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the scratch courses")
    parser.add_argument("--neighbours", action="store_true",
                        help="measure an honest submission beside forking ones instead (see above)")
    parser.add_argument("--per-assignment", action="store_true",
                        help="measure the seconds per complete submission of each assignment instead (see above)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of --neighbours, submissions of --per-assignment")
    parser.add_argument("--dask", action="store_true", help="one vs two Dask worker processes instead (see above)")
    args = parser.parse_args()

    env = environment()
    scratch = Path(tempfile.mkdtemp(prefix="grading_speed_"))
    if args.dask:
        try:
            return dask_mode(scratch, env, args.students or 30, args.seed)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    args.students = args.students or 100
    if args.neighbours or args.per_assignment:
        try:
            return (neighbours if args.neighbours else per_assignment)(scratch, env, args.repeats)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"{cores()} cores available (os.cpu_count() = {os.cpu_count()}), OMP_NUM_THREADS={env['OMP_NUM_THREADS']}, "
          f"scratch {scratch}")
    try:
        kinds = build_class(scratch / "class", args.students, args.seed)
        keys = sorted(kinds)
        notebooks = len(keys)
        counts = Counter(kinds.values())
        print(f"{args.students} students x {len(ASSIGNMENTS)} assignments = {notebooks} notebooks: "
              + ", ".join(f"{counts[k]} {k}" for k, _ in MIX) + "; "
              + ", ".join(f"{counts[k]} {k}" for k in BROKEN))

        courses = {name: scratch / name for name in ("sequential", "ours")}
        for course in courses.values():
            shutil.copytree(scratch / "class", course)
            generate_assignments(course, env)
        stamps = mark_released(courses["ours"], env)
        stamped = {p: p.stat().st_mtime_ns for p in stamps}

        print(f"(a) sequential nbgrader ({load()})")
        sequential = grade_sequentially(courses["sequential"], env)
        print(f"(b) nbcourse, {args.workers} workers ({load()})")
        ours = grade_with_pool(courses["ours"], env, args.workers)
        print(f"    ({load()} after)")
        if any(p.stat().st_mtime_ns != mtime for p, mtime in stamped.items()) or len(stamps) < len(ASSIGNMENTS):
            print("note: nbcourse ran generate_assignment again inside its time")

        rate_a, rate_b = notebooks / sequential * 60, notebooks / ours * 60
        print(f"sequential nbgrader: {rate_a:.1f} notebooks/min ({sequential:.1f} s); "
              f"nbcourse --workers {args.workers}: {rate_b:.1f} notebooks/min ({ours:.1f} s); "
              f"ratio ours / sequential = {rate_b / rate_a:.2f}x  (target >= 1.8x on 2 cores)")

        grades = {name: scores(course, keys) for name, course in courses.items()}
        for kind in [k for k, _ in MIX] + list(BROKEN):
            members = [key for key in keys if kinds[key] == kind]
            if members:
                print(f"    {kind:>17}: mean score "
                      + ", ".join(f"{name} {sum(grades[name][k] for k in members) / len(members):.2f}"
                                  for name in courses)
                      + "; not graded " + ", ".join(f"{name} {sum(not graded(c, k) for k in members)}"
                                                   for name, c in courses.items()))
        differences = {key: (grades["sequential"][key], grades["ours"][key]) for key in keys
                       if grades["sequential"][key] != grades["ours"][key]}
        if differences:
            print(f"grades DIFFER for {len(differences)} of {notebooks} submissions (student, assignment, kind: "
                  "sequential vs ours):")
            for (student, assignment), (a, b) in sorted(differences.items()):
                key = (student, assignment)
                print(f"    {student} {assignment} ({kinds[key]}): {a} vs {b}{why(courses['ours'], key)}")
        else:
            print(f"grades identical: all {notebooks} (student, assignment) scores match")
        if args.keep:
            (scratch / "kinds.json").write_text(json.dumps({f"{s}/{a}": k for (s, a), k in kinds.items()}, indent=1))
        return 1 if differences else 0
    finally:
        if args.keep:
            print(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
