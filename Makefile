# Two commands on a fresh machine: `make demo` and `make test`. Both set everything up first
# (a .venv with the Python packages, and the cfn-guard binary from its pinned npm package) and are
# quick when that is already done.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
GUARD_PACKAGE := node_modules/@cdklabs/cdk-validator-cfnguard/package.json
DEMO_ASSEMBLY := build/demo/cdk.out
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/build/jsii-cache
# the aws-cdk CLI offline: no version check, no telemetry, its cache under build/
CDK_CLI := CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true CDK_HOME=$(CURDIR)/build/cdk-home \
	$(CURDIR)/node_modules/.bin/cdk

.PHONY: setup libyaml browser demo test bench docs picture export rule clean

setup: libyaml $(VENV)/.installed $(GUARD_PACKAGE) browser

# Templates are read by C code (src/ddbguard/templates/_speedups.c) where libyaml's headers are, Debian's
# libyaml-dev: installed here when missing and apt-get can (as root, as on CI). Without them the package still
# installs and reads templates in Python, slower, and the differential tests of decoding say so.
libyaml:
	@if [ -f /usr/include/yaml.h ] || [ -f /usr/local/include/yaml.h ]; then \
	  :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "apt-get install libyaml-dev (for the C template reader)"; \
	  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libyaml-dev >/dev/null; \
	else \
	  echo "make setup: libyaml's headers are missing: install Debian's libyaml-dev; templates are read in Python, slower"; \
	fi

# The HTML report's tests open it in a real headless Chromium, Debian's `chromium` package: installed here when
# it is missing and apt-get can install it (as root, as on CI). Elsewhere this says how, and those tests fail
# with the same words rather than being skipped.
browser:
	@if [ -n "$$CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
	  :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "apt-get install chromium (for the HTML report's browser tests)"; \
	  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null; \
	else \
	  echo "make setup: Chromium is missing: install Debian's chromium package (apt-get install chromium) or set CHROMIUM; the HTML report's browser tests fail without it"; \
	fi

$(VENV)/.installed: pyproject.toml setup.py src/ddbguard/templates/_speedups.c
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "ddbguard needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@# An editable install is never compiled, and with PYTHONDONTWRITEBYTECODE set every run would compile the
	@# package again (0.25 s a check); a module edited since is recompiled in memory, never run stale.
	$(BIN)/python -m compileall -q src/ddbguard
	touch $@

# npm ci installs exactly what package-lock.json pins and checks each package's integrity hash.
$(GUARD_PACKAGE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(DEMO_ASSEMBLY)/manifest.json: fixtures/cdk_app/app.py $(VENV)/.installed
	rm -rf $(DEMO_ASSEMBLY)
	CDK_OUTDIR=$(DEMO_ASSEMBLY) $(BIN)/python fixtures/cdk_app/app.py

# Exit code 1 means "findings", which is what the demo is for; 2 (an input error) still fails it.
# Then a baseline of those findings (a second run fails on nothing new), the example app synthesized with
# ddbguard as a CDK validation plugin (synth fails), and a live audit of a local moto server seeded with
# the guide's tables.
demo: setup $(DEMO_ASSEMBLY)/manifest.json
	$(BIN)/ddbguard check $(DEMO_ASSEMBLY) || [ $$? -eq 1 ]
	rm -f build/demo/baseline.json
	$(BIN)/ddbguard check $(DEMO_ASSEMBLY) --write-baseline build/demo/baseline.json --output build/demo/report.txt
	$(BIN)/ddbguard check $(DEMO_ASSEMBLY) --baseline build/demo/baseline.json --output build/demo/baselined.txt
	head -n 2 build/demo/baselined.txt
	$(BIN)/ddbguard inventory $(DEMO_ASSEMBLY) --output build/demo/inventory.md
	head -n 28 build/demo/inventory.md
	rm -rf build/demo/plugin.out
	$(BIN)/python fixtures/cdk_app/plugin_demo.py build/demo/plugin.out
	rm -rf build/demo/ts.out
	@echo '$$ cd fixtures/cdk_ts_app && npx cdk synth   # Validations.of(app).addPlugins(new DdbguardValidator())'
	@cd fixtures/cdk_ts_app && PATH="$(CURDIR)/$(BIN):$$PATH" $(CDK_CLI) synth --quiet --no-notices \
		--output $(CURDIR)/build/demo/ts.out > $(CURDIR)/build/demo/ts-synth.log 2>&1; test $$? -ne 0
	@grep -q '(ddbguard)$$' build/demo/ts-synth.log && grep -m 2 -A 3 '^ERROR' build/demo/ts-synth.log | grep -v '^--$$'
	@echo "cdk synth failed: the whole report is in build/demo/ts-synth.log and build/demo/ts.out/validation-report.json"
	$(BIN)/python fixtures/live/demo.py

# Then the npm package's own tests (Jest), with this checkout's ddbguard command line.
test: setup
	$(BIN)/python -m pytest
	DDBGUARD_COMMAND='["$(CURDIR)/$(BIN)/ddbguard"]' npm test --prefix packages/cdk-validator-ddbguard -- \
		--cacheDirectory=$(CURDIR)/build/jest-cache

bench: setup
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_audit.py
	$(BIN)/python bench/bench_merge.py
	$(BIN)/python bench/bench_decode.py

docs: setup
	$(BIN)/python tools/generate_docs.py

# docs/html-report.png, the README's picture of the HTML report: the demo's assembly, in headless Chromium.
picture: setup $(DEMO_ASSEMBLY)/manifest.json
	$(BIN)/python tools/html_report_picture.py $(DEMO_ASSEMBLY) docs/html-report.png

# A new per-table rule's folder, full of placeholders the tests reject until filled in.
rule: setup
	@test -n "$(ID)" -a -n "$(NAME)" || { echo "usage: make rule ID=DDB019 NAME=gsi_retention"; exit 2; }
	$(BIN)/python tools/new_rule.py $(ID) $(NAME)

# policies/ and checks/ (what cfn-guard and checkov users point their tools at) from the rule folders.
export: setup
	$(BIN)/python -m ddbguard.rule_packs .
	$(BIN)/python tools/generate_member_role.py

clean:
	rm -rf $(VENV) node_modules build .pytest_cache src/ddbguard/templates/_speedups.*.so
