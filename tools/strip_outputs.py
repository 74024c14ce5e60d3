"""Strip outputs and execution counts from notebooks: the pre-commit hook for solutions/ and exercises/.

    .venv/bin/python tools/strip_outputs.py NOTEBOOK ...          strip them in place
    .venv/bin/python tools/strip_outputs.py --check NOTEBOOK ...  change nothing, only report

Exits 1 when a notebook had (or, with --check, has) an output or an execution count, naming it and
its cells: a commit that carried them is stopped, and the stripped files are ready to be added again.
Only the code cells' ``outputs`` and ``execution_count`` change; the rest of the file stays as it is,
in the layout nbformat (and so nbgrader) writes: ``exercises/`` must stay byte for byte a fresh release.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def executed_cells(notebook: dict) -> list[int]:
    """The indices of the code cells that carry outputs or an execution count."""
    return [index for index, cell in enumerate(notebook.get("cells", []))
            if cell.get("cell_type") == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]


def strip(notebook: dict) -> None:
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None


def dumps(notebook: dict) -> str:
    """The notebook as nbformat.write lays it out."""
    return json.dumps(notebook, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report only: change no file")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    found = False
    for path in args.notebooks:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = executed_cells(notebook)
        if not cells:
            continue
        found = True
        if args.check:
            print(f"{path}: outputs or execution counts in code cells {cells} "
                  f"(strip them: .venv/bin/python tools/strip_outputs.py {path})")
        else:
            strip(notebook)
            path.write_text(dumps(notebook), encoding="utf-8")
            print(f"{path}: stripped the outputs and execution counts of code cells {cells}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
