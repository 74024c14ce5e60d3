"""nbgrader preprocessors that close two of its gaps; nbgrader_config.py puts them in its pipelines.

* :class:`StderrAsStdout` (autograde, right after execution): nbgrader scores a test
  cell 0 when anything reaches stderr, so a correct answer that makes NumPy warn, or a
  library that logs while it loads, would lose its points. The text stays in the
  notebook, marked, as ordinary output.
* :class:`StripHiddenTests` (feedback, before the HTML is written): nbgrader's feedback
  shows each test cell's source, hidden tests included, and Python tracebacks quote
  the failing lines. The student keeps each failure's message and loses the code.
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Integer

# nbgrader hides from any line that contains the marker (not only "### ..."): so does the feedback.
HIDDEN = re.compile(r"^[^\n]*BEGIN HIDDEN TESTS.*?^[^\n]*END HIDDEN TESTS[^\n]*\n?", re.S | re.M)
HIDDEN_PLACEHOLDER = "# (hidden tests ran here; their result is below)\n"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


class StderrAsStdout(Preprocessor):
    """Turn stderr stream outputs into stdout outputs prefixed with ``[stderr]``."""

    enabled = Bool(True).tag(config=True)  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["name"] = "stdout"
                output["text"] = "".join(f"[stderr] {line}" for line in output["text"].splitlines(True))
        return cell, resources


def strip_hidden_tests(source: str) -> str:
    return HIDDEN.sub(HIDDEN_PLACEHOLDER, source)


class StripHiddenTests(Preprocessor):
    """Remove hidden test code and error tracebacks from test cells, keeping each error's message."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if not is_test_cell(cell):
            return cell, resources
        cell["source"] = strip_hidden_tests(cell["source"])
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                message = f"{output.get('ename', 'Error')}: {ANSI.sub('', str(output.get('evalue', '')))}"
                output["traceback"] = [message]
        return cell, resources


class LimitOutputSize(Preprocessor):
    """Cut each cell's outputs to ``max_chars`` characters of text and drop any rich output above
    ``max_bytes``: nbgrader's LimitOutput counts lines, so one print of 50 MB on a line would stay
    in the autograded notebook, the feedback and the gradebook's copy."""

    enabled = Bool(True).tag(config=True)
    max_chars = Integer(100_000).tag(config=True)
    max_bytes = Integer(2_000_000).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        budget = self.max_chars
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = output.get("text", "")
                if len(text) > budget:
                    output["text"] = text[:max(budget, 0)] + (
                        f"\n... [output cut: {len(text) - max(budget, 0):,} more characters]\n")
                budget -= len(output["text"])
            elif output.get("output_type") in ("display_data", "execute_result"):
                data = output.get("data", {})
                for mime, value in list(data.items()):
                    size = len(value) if isinstance(value, str) else len(str(value))
                    if size > self.max_bytes:
                        data.pop(mime)
                        data.setdefault("text/plain", f"[{mime} output of {size:,} bytes removed]")
        return cell, resources


class DropExecutionTags(Preprocessor):
    """Remove every cell's ``tags`` before a submission runs: nbclient skips a cell tagged
    ``skip-execution``, and nbgrader scores a test cell with no error as passed; nbgrader
    restores a test cell's source, not its tags. The course's notebooks use no tags."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        cell.get("metadata", {}).pop("tags", None)
        return cell, resources


class DropEmptyNbgraderMetadata(Preprocessor):
    """Remove the empty ``nbgrader`` metadata that nbgrader's DeduplicateIds leaves on a copied cell.

    A student who copies an answer cell in Jupyter copies its metadata too; DeduplicateIds keeps the
    last copy as the answer and empties the others' metadata, which nbgrader's own
    add_missing_cells then fails on (KeyError: 'grade_id'). Without it, the copy is plain code.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.get("metadata", {}).get("nbgrader", None) == {}:
            del cell["metadata"]["nbgrader"]
        return cell, resources
