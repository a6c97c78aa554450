# labforge: `make demo` runs the main job on the embedded defaults, `make test` runs every test.
# Both install what they need: Debian packages with apt-get, Python packages into .venv from
# requirements.lock (every version pinned).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := build/.stamps
# Real image tools: buildah builds, skopeo copies, mmdebstrap makes the base, docker-registry
# is a real OCI registry for tests and the demo; lmod for module checks.
APT_PACKAGES := buildah skopeo mmdebstrap docker-registry apache2-utils uidmap lmod ca-certificates openssl shellcheck git gnupg curl rsync \
  chromium chromium-driver fonts-dejavu-core \
  prometheus prometheus-alertmanager prometheus-pushgateway restic sqlite3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Builds trust the build host's CA bundle (hosts behind a TLS-intercepting proxy need it);
# the image never keeps it. Override with DEMO_ARGS="..." (e.g. --registry harbor.example.org/lab).
HOST_CA := $(wildcard /etc/ssl/certs/ca-certificates.crt)
DEMO_ARGS ?= $(if $(HOST_CA),--ca-cert $(HOST_CA))

.PHONY: all demo test test-fast test-images test-spack test-pipelines test-browser test-drills lint docs plan bench golden system venv tools clean

all: test

$(STAMPS)/system:
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@touch $@

$(STAMPS)/venv: requirements.lock pyproject.toml
	@mkdir -p $(STAMPS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

# gitlab-ci-local (npm, pinned): a GitLab CI implementation that runs the example pipelines here.
GITLAB_CI_LOCAL := 4.75.1
$(STAMPS)/gitlab-ci-local-$(GITLAB_CI_LOCAL):
	@mkdir -p $(STAMPS) build/tools/gitlab-ci-local
	npm install --silent --no-audit --no-fund --prefix build/tools/gitlab-ci-local gitlab-ci-local@$(GITLAB_CI_LOCAL)
	@touch $@

# configurable-http-proxy (npm, pinned): JupyterHub's own proxy, for `hub check` against a real hub.
CHP := 5.3.0
$(STAMPS)/chp-$(CHP):
	@mkdir -p $(STAMPS) build/tools/chp
	npm install --silent --no-audit --no-fund --prefix build/tools/chp configurable-http-proxy@$(CHP)
	@touch $@

# JupyterHub 4 (the previous major), pinned, in a venv of its own: the upgrade test makes a database
# with it for the current JupyterHub to upgrade.
JH4_LOCK := tests/fixtures/jupyterhub-4/requirements.lock
$(STAMPS)/jupyterhub4: $(JH4_LOCK)
	@mkdir -p $(STAMPS)
	$(PYTHON) -m venv build/tools/jupyterhub4
	build/tools/jupyterhub4/bin/pip install -q -r $(JH4_LOCK)
	@touch $@

system: $(STAMPS)/system
venv: $(STAMPS)/venv
tools: $(STAMPS)/gitlab-ci-local-$(GITLAB_CI_LOCAL) $(STAMPS)/chp-$(CHP) $(STAMPS)/jupyterhub4

# DEMO_ARGS: several arguments, split on spaces from the environment (no shell syntax, no globs).
export DEMO_ARGS
demo: system venv
	set -f; $(BIN)/labforge demo $$DEMO_ARGS

# Spack runs its concretizer with the venv's clingo (requirements.lock): nothing is bootstrapped.
export SPACK_PYTHON ?= $(abspath $(BIN))/python

# Every test, in six parts: the fast loop (lint, then every test that builds no image: run it
# after each change), the image builds with buildah (tests/image_builds), the spack tests (need
# SPACK_ROOT; they say so and skip without it), the example GitLab pipelines in gitlab-ci-local,
# the Lab in chromium on the demo's images, then the backup and restore drills.
test: test-fast test-images test-spack test-pipelines test-browser test-drills

lint: venv
	$(BIN)/ruff check .

# The docs site (mkdocs.yml, docs/): --strict, so a broken link or a page left out of the nav fails.
docs: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test-fast: system venv lint docs
	$(BIN)/pytest -q -n auto --dist loadfile -m "not spack and not images and not pipelines and not hubcheck and not drills"

# Real images with buildah, without spack: build, rebuild, labels, publish, the base and the GPU variant.
test-images: system venv
	$(BIN)/pytest -q -n 2 --dist loadfile -m "images and not spack" --durations=10

# Two at a time: their image builds wait on downloads and commits as much as on the CPU.
test-spack: system venv
	$(BIN)/pytest -q -m "spack and not pipelines" -rs -n 2 --dist loadfile --durations=10

# The example GitLab pipelines run by gitlab-ci-local: a release from an empty project to the
# catalog, against an HTTPS registry that asks for a robot's credentials (needs SPACK_ROOT).
test-pipelines: system venv tools
	$(BIN)/pytest -q -m pipelines -rs --durations=5

# The browser suite on the demo's images (made by `make demo` when missing): the release image,
# and the small tool release's image where spack built one. Screenshots in build/screenshots/.
DEMO_RELEASE := 2026.11
DEMO_TOOLS := 2099.01
test-browser: system venv tools
	@buildah inspect --type image localhost/labforge/lab:$(DEMO_RELEASE) >/dev/null 2>&1 || $(MAKE) demo
	$(BIN)/labforge release test $(DEMO_RELEASE) --browser
	@if [ -f build/demo/project/.labforge-demo-project ] && \
	    buildah inspect --type image localhost/labforge/lab:$(DEMO_TOOLS) >/dev/null 2>&1; then \
	  echo "$(BIN)/labforge --project build/demo/project release test $(DEMO_TOOLS) --browser"; \
	  $(BIN)/labforge --project build/demo/project release test $(DEMO_TOOLS) --browser; \
	else echo "test-browser: no tool release image from the demo (no spack here): the tool parts were skipped"; fi
	$(BIN)/pytest -q -m hubcheck -rs --durations=3

# Backup and restore drills (restic, real JupyterHubs, a Drive tree, damaged repositories): the
# runbooks "Restore the lab" and "Give a user a folder back", rehearsed.
test-drills: system venv tools
	$(BIN)/pytest -q -m drills -n 2 --dist loadfile --durations=5

# AGAINST reaches the program as one argument, from the environment (make exports command-line
# variables): never shell text, whatever it holds.
plan: venv
	$(BIN)/python -m infra.offline.plan --out build/plan $${AGAINST:+"--against=$$AGAINST"}

bench: venv
	$(BIN)/python -m bench.render
	$(BIN)/python -m bench.plan
	set -f; $(BIN)/python -m bench.build $$DEMO_ARGS
	set -f; $(BIN)/python -m bench.incremental $$DEMO_ARGS
	set -f; $(BIN)/python -m bench.toolbuild $$DEMO_ARGS
	set -f; $(BIN)/python -m bench.batch $$DEMO_ARGS
	$(BIN)/python -m bench.scaleout
	set -f; $(BIN)/python -m bench.pull $$DEMO_ARGS
	$(BIN)/python -m bench.labenv

# Rewrite the golden files after an intended change to a template; review the diff.
golden: venv
	LABFORGE_UPDATE_GOLDEN=1 $(BIN)/pytest -q tests/labforge/render/test_release.py

clean:
	rm -rf build $(VENV)
