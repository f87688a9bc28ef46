# Two entry points (see README): `make demo` and `make test`. Both create .venv/ and install the kit
# into it on first use; a stamp keyed on pyproject.toml makes a second run skip the install.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
export PATH := $(abspath $(VENV))/bin:$(PATH)
export MPLBACKEND ?= Agg
# configurable-http-proxy, the hub's proxy (autograder/deploy/hub.py)
CHP_VERSION := 5.3.0

.PHONY: demo test test-extended install release check selftest nbval lab results-table clean

demo: $(STAMP)  ## release the notebooks and autograde the bundled sample submissions
	$(PY) -m autograder demo

test: $(STAMP)  ## the whole test suite (units, selftest, release sync, nbval, demo end to end)
	$(PY) -m pytest --durations=25

test-extended: $(STAMP)  ## end-to-end runs too long for CI: every sample class and the adversarial class on Gradescope
	$(PY) -m pytest -m extended --durations=25

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing bubblewrap (the grading sandbox) with apt"; \
	    apt-get install -y -qq bubblewrap >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null 2>&1; } || echo "note: could not install bubblewrap; grading falls back to resource limits only"; \
	  else echo "note: bubblewrap (bwrap) not found; install it (apt install bubblewrap) for sandboxed grading"; fi; }
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium (the browser test drives it with Playwright) with apt"; \
	    apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; } || echo "note: could not install chromium; the browser test will be skipped"; \
	  else echo "note: /usr/bin/chromium not found (apt install chromium); the browser test will be skipped"; fi; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,hub,lms]'
	@test -x $(VENV)/node/node_modules/.bin/configurable-http-proxy || command -v configurable-http-proxy >/dev/null || { \
	  if command -v npm >/dev/null; then echo "installing configurable-http-proxy $(CHP_VERSION) (the hub's proxy) with npm into $(VENV)/node"; \
	    npm install --silent --prefix $(VENV)/node configurable-http-proxy@$(CHP_VERSION) >/dev/null || echo "note: npm could not install configurable-http-proxy; the hub test will be skipped"; \
	  elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then echo "installing node and npm with apt, then configurable-http-proxy"; \
	    apt-get install -y -qq nodejs npm >/dev/null 2>&1 && npm install --silent --prefix $(VENV)/node configurable-http-proxy@$(CHP_VERSION) >/dev/null || echo "note: could not install configurable-http-proxy; the hub test will be skipped"; \
	  else echo "note: npm not found; the hub test will be skipped (npm install -g configurable-http-proxy@$(CHP_VERSION))"; fi; }
	rm -f $(VENV)/.installed-* && touch $@

release: $(STAMP)  ## regenerate notebooks/ from solutions/
	$(PY) -m autograder release

check: $(STAMP)  ## notebooks/ in sync with solutions/
	$(PY) -m autograder release --check

selftest: $(STAMP)
	$(PY) -m autograder selftest

nbval: $(STAMP)  ## re-execute every solution notebook in the fast profile
	COURSE_PROFILE=fast $(PY) -m pytest --nbval-lax --sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider solutions/

results-table: $(STAMP)  ## regenerate the results table in results/README.md from results/*.json
	$(PY) -m course_utils.results --update-readme results/README.md

lab: $(STAMP)  ## JupyterLab on the student release
	env -u MPLBACKEND $(VENV)/bin/jupyter lab notebooks/  # the kernel must draw inline, not with Agg

clean: $(STAMP)  ## forget the grading workspace's state ($$COURSE_GRADING_DIR, else autograder/)
	@ws="$$($(PY) -c 'from autograder import grader_settings; print(grader_settings.current().workspace_dir)')" && \
	  test -d "$$ws" && cd "$$ws" && \
	  rm -rf submitted autograded feedback gradebook.db grades.csv report.txt outcomes.jsonl report similarity .scratch && \
	  echo "cleared the grading workspace $$ws"
