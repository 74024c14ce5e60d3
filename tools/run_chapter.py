"""Run one chapter as the book build does, without building the book: for authors, in seconds to minutes.

    .venv/bin/python tools/run_chapter.py book/05_adaptive_learning_rates.md [--out /tmp/05.ipynb]

Executes the MyST chapter top to bottom (jupytext reads it, nbclient runs it in book/, as myst-nb does)
and exits 1 when a cell raises, writes to stderr (the build treats that as an error), or has a code line
longer than the page's column (``MAX_CODE_LINE``), naming each. ``--out`` keeps the executed notebook.
``jupyter-book build`` stays the judge: this is the quick loop before it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# The widest code line the book's column shows without a sideways scroll bar (sphinx-book-theme, a
# 1280-pixel window; tests/test_browser.py checks the built pages themselves).
MAX_CODE_LINE = 88


def long_lines(notebook) -> list[str]:
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for number, line in enumerate(cell.source.splitlines(), start=1):
            if len(line) > MAX_CODE_LINE:
                found.append(f"cell {index}, line {number}: {len(line)} characters > {MAX_CODE_LINE}: {line[:60]}...")
    return found


def stderr_outputs(notebook) -> list[str]:
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {index} wrote to stderr: {output.get('text', '')[:300]}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapter", type=Path, help="a MyST Markdown chapter, e.g. book/03_backpropagation.md")
    parser.add_argument("--out", type=Path, help="write the executed notebook here")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (the book's limit)")
    args = parser.parse_args(argv)

    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = jupytext.read(args.chapter)
    problems = long_lines(notebook)
    start = time.perf_counter()
    client = NotebookClient(notebook, timeout=args.timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(args.chapter.resolve().parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        problems.append(f"a cell raised:\n{error}")
    problems += stderr_outputs(notebook)
    if args.out:
        import nbformat

        nbformat.write(notebook, args.out)
    print(f"{args.chapter}: ran in {time.perf_counter() - start:.1f} s, {len(problems)} problem(s)")
    for problem in problems:
        print(" -", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
