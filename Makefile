# 检察教育培训平台 — every target works on a fresh Debian 12 clone, as root or not.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
APT_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 gettext chromium poppler-utils
STAMP := $(VENV)/.installed

.PHONY: fonts help install apt run worker test test-sqlite test-postgres pg-up lint check \
        suite-sqlite suite-postgres \
        e2e bench bench-storm bench-mixed prod-smoke messages clean

help:
	@echo "make run    — install, migrate, load the demo and serve on http://$(HOST):$(PORT)/"
	@echo "make test   — lint, layering, migrations check and the suite on SQLite and PostgreSQL"
	@echo "make bench  — benchmarks, results under benchmarks/results/"
	@echo "make bench-storm — 300 learners start one exam at once (gunicorn + locust, PostgreSQL, Redis)"

# System packages: CJK fonts and HarfBuzz subsetting for PDFs, gettext for the
# Chinese catalogue, chromium for browser tests. Installed only when missing and
# only when we can (root); otherwise print what to install.
apt:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "apt: installing$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "WARNING: missing system packages:$$missing (run: sudo apt-get install$$missing)"; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[dev]"
	$(PIP) check
	@touch $(STAMP)

install: apt $(STAMP) messages fonts

# The certificate font (cms/fonts.py): a fast-to-subset cut of Noto Serif CJK SC.
# Built once per content, not per clone: JCPXSerifSC.ttf.stamp beside it holds a
# sha256 of what it is made from (cms/fonts.py's build code, the source font,
# fontTools), and the ~20 s–2 min build runs only when that changed.
CERT_FONT := /usr/local/share/fonts/jcpx/JCPXSerifSC.ttf
fonts: | apt $(STAMP)
	@$(PY) -m cms.fonts --if-changed $(CERT_FONT)

# Compiled catalogues (*.mo, not in git): rebuilt only when their .po changed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))
messages: $(MO_FILES)
%.mo: %.po | $(STAMP)
	@$(MANAGE) compilemessages --ignore=.venv -v 0
	@touch $@

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (background task worker started alongside)"
	@trap 'kill 0' EXIT; \
	$(MANAGE) db_worker --interval 1 >/tmp/jcpx-worker.log 2>&1 & \
	$(MANAGE) runserver $(HOST):$(PORT)

worker: install
	$(MANAGE) db_worker

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check: $(STAMP)
	DJANGO_SETTINGS_MODULE=cms.settings.test $(MANAGE) check --fail-level ERROR
	DJANGO_SETTINGS_MODULE=cms.settings.test $(MANAGE) makemigrations --check --dry-run

# pytest exits 5 when it collects nothing: that must fail, and it does, because
# make treats every non-zero exit as failure.
# PYTEST_XDIST="-n 2 --dist load" spreads one suite over pytest-xdist workers, each
# with its own test database (test_test_gw0, ...). Keep --dist load: it hands every
# worker its tests in collection order, so each one still runs the transactional
# tests (which empty the database) after the others, as pytest-django orders them;
# loadfile and worksteal do not, and tests then miss the migrations' rows.
PYTEST_ARGS ?= -q
PYTEST_XDIST ?=
test-sqlite: $(STAMP)
	$(VENV)/bin/pytest $(PYTEST_ARGS) $(PYTEST_XDIST)

pg-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 || \
	  (pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && sleep 2)

test-postgres: $(STAMP) pg-up
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest $(PYTEST_ARGS) $(PYTEST_XDIST)

# The two suites run side by side, one per core (docs/benchmarks.md, "CI wall
# time"): they share nothing (SQLite in memory, PostgreSQL in test_test; live
# servers on free ports). Each line starts with its suite ("sqlite: ...",
# "postgres: N passed, ..."); either one failing fails make, after the other ends.
test: install lint check
	@$(MAKE) --no-print-directory -j2 suite-sqlite suite-postgres

suite-sqlite suite-postgres: suite-%: $(STAMP)
	@set -o pipefail; $(MAKE) --no-print-directory test-$* 2>&1 | sed -u 's/^/$*: /'

e2e: install
	$(VENV)/bin/pytest -q -m e2e

bench: install pg-up
	DATABASE_URL=$(PG_URL) $(PY) benchmarks/run.py

# Not part of `make test`: minutes long, and needs Redis on 127.0.0.1:6379 (db 5).
STORM_ARGS ?=
bench-storm: install pg-up
	DATABASE_URL=$(PG_URL) $(PY) benchmarks/storm/run_storm.py $(STORM_ARGS)

# Not part of `make test`: ~10 minutes (seed_scale, sign-ins, 3 minutes of mixed
# load); PostgreSQL database load_mixed, Redis db 10, gunicorn on 127.0.0.1:8041.
MIXED_ARGS ?=
bench-mixed: install pg-up
	DATABASE_URL=$(PG_URL) $(PY) benchmarks/load/run_mixed.py $(MIXED_ARGS)

# The production stack on this machine (gunicorn -w 4 on 127.0.0.1:8021, two RQ
# workers, PostgreSQL database jcpx_smoke, Redis db 8 on 127.0.0.1:6379) driven
# over HTTP end to end, then stopped: docs/prod-smoke.md. About 3 minutes.
prod-smoke: install pg-up
	$(PY) ops/prod_smoke.py

clean:
	rm -rf $(VENV) static media db.sqlite3*
