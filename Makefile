# Two commands a new user needs:  `make book` and `make test`.
# Both create .venv from requirements.txt (once, and again when it changes) and install nnlib.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
# One BLAS thread: the book's and the tests' matrices are small, and on a 2-core machine
# running kernels side by side, threads fight (3-6x slower measured) instead of helping.
export OMP_NUM_THREADS ?= 1
BIN    := $(VENV)/bin
READY  := $(VENV)/.ready
# pytest-xdist processes for `make test` and `make test-fast`: auto is one per core; WORKERS=0 runs the
# tests in pytest's own process (for --pdb). Tests that share a costly fixture (the book build, a graded
# class) stay on one worker: pyproject.toml asks for --dist loadgroup, tests/conftest.py says why.
WORKERS ?= auto

.PHONY: book test test-fast mutation lint lock clean exercises collect autograde feedback grades report system student

$(READY): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

## book: build the HTML book into _build/html (executing every chapter; cached)
book: $(READY)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

## system: the Debian packages the tests use (chromium for the browser tests, npm for their accessibility
## checker, bubblewrap for the grading sandbox, postgresql for the gradebook tests); installed when run as
## root with apt-get
system:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (sudo apt-get install$$missing)"; fi; \
	fi

## axe-core, the accessibility checker the browser tests inject into every page: from the npm registry,
## the version package-lock.json pins (npm ci), into node_modules/
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --ignore-scripts --loglevel=error && touch $@; \
	else echo "npm is missing: the browser tests' accessibility check needs it (sudo apt-get install npm)"; fi

## test: the whole suite, as CI runs it (nnlib, book build, browser, grading, ruff, pre-commit hooks), on every core
test: $(READY) system $(AXE)
	$(BIN)/python -m pytest -n $(WORKERS)

## test-fast: nnlib and the repository (no book, browser, Keras, nbgrader or slow tests), on every core
test-fast: $(READY)
	$(BIN)/python -m pytest -n $(WORKERS) -m "not book and not slow and not keras and not grading"

## student: a student's install into .venv-student, with only what the chapters and the exercises' self-check
## need (KERAS=1 adds TensorFlow for the Keras chapter); versions pinned by requirements.txt
STUDENT_VENV ?= .venv-student
student:
	$(PYTHON) -m venv $(STUDENT_VENV)
	$(STUDENT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.txt \
	  -r requirements-student.in $(if $(KERAS),-r requirements-keras.in)
	$(STUDENT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@echo "Ready. Open the course with: $(STUDENT_VENV)/bin/jupyter lab"

## instructors: regenerate exercises/ from solutions/, then grade submitted/<student>/<assignment>/
## ASSIGNMENT="a b" and STUDENT="s t" limit exercises/autograde/feedback to those; FORCE=1 redoes what is unchanged
SELECT = $(ASSIGNMENT) $(addprefix --student ,$(STUDENT))
exercises: $(READY)
	$(BIN)/python -m nbcourse release $(ASSIGNMENT) $(if $(FORCE),--force)

autograde: $(READY)
	$(BIN)/python -m nbcourse autograde $(SELECT) $(if $(FORCE),--force)

feedback: $(READY)
	$(BIN)/python -m nbcourse feedback $(SELECT)

## collect: an LMS download into submitted/: make collect ASSIGNMENT=06_activation_functions DOWNLOAD=submissions.zip
## (PREFER=latest places the newest of two copies; the roster comes from `python -m nbcourse roster import FILE`)
collect: $(READY)
	@test -n "$(ASSIGNMENT)" -a -n "$(DOWNLOAD)" || { echo "usage: make collect ASSIGNMENT=NAME DOWNLOAD=FILE.zip"; exit 2; }
	$(BIN)/python -m nbcourse collect $(ASSIGNMENT) "$(DOWNLOAD)" $(if $(PREFER),--prefer $(PREFER))

grades: $(READY)
	$(BIN)/python -m nbcourse export --to grades.csv

report: $(READY)
	$(BIN)/python -m nbcourse report

## mutation: mutation-test nnlib with mutmut (tens of minutes; prints the share of mutants the tests kill)
mutation: $(READY)
	$(BIN)/mutmut run
	$(BIN)/python tools/mutation_report.py

lint: $(READY)
	$(BIN)/ruff check .

## lock: re-pin requirements.txt from requirements.in in a scratch environment
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -r requirements.in
	{ echo "# Every package pinned; generated by 'make lock' from requirements.in: edit that file."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^nnlib'; } > requirements.txt
	rm -rf .lock-venv

clean:
	rm -rf _build $(VENV)
