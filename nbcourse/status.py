"""How grading one submission went: one typed record per submission, ``grading/<assignment>/<student>.json``.

Written by ``nbcourse autograde`` for every submission it tried, read by ``export``, ``feedback``
and ``report``: a submission that could not be graded, or a part whose grade could not be
computed, is never a silent 0.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

STATUS_DIR = "grading"


@dataclass
class Status:
    student: str
    assignment: str
    graded: bool                 # nbgrader graded the notebook (its score is in the gradebook)
    reason: str = ""             # why not, written for the student
    seconds: float = 0.0
    ungraded_parts: dict[str, str] = field(default_factory=dict)  # grade_id -> why its grade could not be computed
    tests: str = ""              # the hidden tests' fingerprint it was graded with
    log: str = ""                # nbgrader's log, for the instructor
    submission: str = ""         # the submitted files' content hash (submission_hash); "" in older records
    release: str = ""            # the source notebook's hash (gradebook.source_hash) it was graded against
    skipped_files: list[str] = field(default_factory=list)  # notebooks in the folder nbgrader did not grade
    retry: bool = False          # it failed for a reason outside the student's control: graded again next time

    @property
    def path_parts(self) -> tuple[str, str]:
        return self.assignment, f"{self.student}.json"

    def write(self, root: Path) -> Path:
        path = Path(root, STATUS_DIR, *self.path_parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = asdict(self)
        record["log"] = record["log"][-20000:]
        path.write_text(json.dumps(record, indent=1))
        return path

    @classmethod
    def read(cls, path: Path) -> Status:
        data = json.loads(Path(path).read_text())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def summary(self) -> str:
        """One line for the grades file: "graded", or what went wrong, and the files not graded."""
        skipped = (f"; skipped (not graded): {', '.join(self.skipped_files)}" if self.skipped_files else "")
        if not self.graded:
            return f"not graded: {self.reason}{skipped}"
        if self.ungraded_parts:
            parts = "; ".join(f"{part}: {why}" for part, why in self.ungraded_parts.items())
            return f"graded, but some parts could not be graded (they score 0 until regraded): {parts}{skipped}"
        return f"graded{skipped}"


def read_all(root: Path) -> dict[tuple[str, str], Status]:
    """{(student, assignment): Status} for every record under grading/."""
    found = {}
    for path in sorted(Path(root, STATUS_DIR).glob("*/*.json")):
        try:
            status = Status.read(path)
        except (ValueError, TypeError, OSError) as error:  # said, not skipped silently: its row would look graded
            print(f"warning: {path} is not a readable grading record ({error}); grade it again", file=sys.stderr)
            continue
        found[(status.student, status.assignment)] = status
    return found
