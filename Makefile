# Flarekit: one command to run everything locally (`make dev`), one to test it (`make test`).
# Both install what they need: a virtualenv in .venv (from requirements-dev.txt), npm packages in
# node_modules (from package-lock.json), each Worker's python_modules/, and .dev.vars files.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WORKERS := workers/ai_proxy workers/telemetry workers/telegram_bot
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PYTEST_ARGS ?=

.PHONY: dev test browser test-python test-pyodide deploy-check deploy check-config vendor dev-vars lint bench profile clean

dev: $(VENV_STAMP) vendor dev-vars
	$(VENV)/bin/flaresim dev $(WORKERS) --watch shared $(DEV_ARGS)

test: $(VENV_STAMP) $(NODE_STAMP) vendor check-config lint test-python test-pyodide deploy-check

$(VENV_STAMP): requirements-dev.txt shared/flaresim/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (found %s); set PYTHON=python3.11" % sys.version.split()[0])'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e shared/flaresim
	touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v node >/dev/null || { echo "Node.js 20+ is needed (for wrangler and the Pyodide test tier)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Each Worker's python_modules/ as production sees it; our packages are symlinked so edits are live.
vendor: $(VENV_STAMP)
	@for w in $(WORKERS); do $(PY) scripts/vendor.py $$w --link || exit 1; done

# .dev.vars from .dev.vars.example; names added to an example later are appended, values kept.
dev-vars: $(VENV_STAMP)
	@$(PY) scripts/dev_vars.py $(WORKERS)

check-config: $(VENV_STAMP)
	$(PY) scripts/wrangler_config.py --check

lint: $(VENV_STAMP)
	$(VENV)/bin/ruff check shared workers tests scripts bench
	$(VENV)/bin/mypy

test-python: $(VENV_STAMP) vendor browser
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The dashboard is tested in Debian's headless Chromium (tests/monitoring/test_dashboard_browser.py).
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the dashboard browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	} || { echo "could not install chromium (apt-get install chromium): the dashboard test needs it"; exit 1; }

# The Pyodide tier (tests/pyodide/, docs/local-dev.md "Pyodide tier"): our Workers under Pyodide
# 0.28.2 with the real workers SDK, in Node. JSPI (pyodide.ffi.run_sync, as on workerd) needs a V8
# flag in Node 20-22. PYODIDE_PHASES picks phases: selftest import pytest smoke (all by default).
PYODIDE_PLAN := build/pyodide/plan.json
PYODIDE_PHASES ?=
test-pyodide: $(VENV_STAMP) $(NODE_STAMP) vendor
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "test-pyodide: Node.js 20+ is needed to run Pyodide (found $$(node --version))"; exit 1; }
	@test -f node_modules/pyodide/pyodide.asm.wasm || { echo "test-pyodide: node_modules/pyodide is missing (npm ci failed?)"; exit 1; }
	$(PY) scripts/pyodide_plan.py --out $(PYODIDE_PLAN)
	@flag=; for f in --experimental-wasm-stack-switching --experimental-wasm-jspi; do node $$f -e 0 2>/dev/null && { flag=$$f; break; }; done; \
	  node $$flag tests/pyodide/run.mjs $(PYODIDE_PLAN) $(PYODIDE_PHASES)

# Build each Worker as it would be uploaded and check what the bundle holds.
deploy-check: $(VENV_STAMP) $(NODE_STAMP)
	@for w in $(WORKERS); do \
	  name=$$(basename $$w); \
	  $(PY) scripts/vendor.py $$w --out build/$$name || exit 1; \
	  (cd build/$$name && ../../node_modules/.bin/wrangler deploy --dry-run --outdir dist >dry-run.log 2>&1) || { cat build/$$name/dry-run.log; exit 1; }; \
	  $(PY) scripts/check_bundle.py $$w build/$$name/dist || exit 1; \
	done

# The real deploy: needs `npx wrangler login` (or CLOUDFLARE_API_TOKEN) and real KV ids in wrangler.toml.
deploy: $(VENV_STAMP) $(NODE_STAMP) check-config
	@for w in $(WORKERS); do \
	  name=$$(basename $$w); \
	  $(PY) scripts/vendor.py $$w --out build/$$name || exit 1; \
	  (cd build/$$name && ../../node_modules/.bin/wrangler deploy) || exit 1; \
	done

# Benchmarks print a table and write their section of docs/performance.md.
bench: $(VENV_STAMP) $(NODE_STAMP) vendor
	@for b in bench/*.py; do case $$b in */report.py) ;; *) echo "== $$b"; $(PY) $$b || exit 1;; esac; done

# Where the time goes: the local stack (flaresim dev, free ports) under mixed load, sampled by py-spy;
# writes build/profile/ (flamegraph.svg, profile.speedscope.json, summary.txt). PROFILE_ARGS: --seconds N ...
PROFILE_ARGS ?=
profile: $(VENV_STAMP) vendor
	$(PY) scripts/profile.py $(PROFILE_ARGS)

clean:
	rm -rf build .cache .pytest_cache .ruff_cache .mypy_cache $(foreach w,$(WORKERS),$(w)/python_modules)
