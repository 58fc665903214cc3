# Entry points of cloudcert.tencent's harness. Everything runs through .ci/ (shell), which bootstraps a
# pinned tool venv outside the tree ($HOME/.cache/cloudcert-tencent, or CLOUDCERT_VENV) on first use.
#   make demo         the README's first command
#   make test         every stage: ruff, sanity, units, integration, ansible-lint, the ansible-core matrix, .ci/stages/*.sh
#   make sanity | units | integration | lint | build    a subset of the stages, same harness
#   make matrix       the ansible-core matrix alone: sanity-2.16 units-2.16 integration-2.16 ... integration-2.20
#   make test STAGES="units integration-2.16"          any subset (stage names: .ci/test.sh's header)
#   make format       apply ruff's fixes and formatting to the source tree
#   make venv         only bootstrap the venv;  make clean / distclean
.DEFAULT_GOAL := help
STAGES ?=
CACHE := $(or $(CLOUDCERT_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/cloudcert-tencent)

.PHONY: help demo test sanity units integration matrix lint build venv format clean distclean

help:
	@sed -n 's/^#   //p' Makefile

demo:
	@bash .ci/demo.sh

test:
	@bash .ci/test.sh $(STAGES)

sanity units integration matrix:
	@bash .ci/test.sh $@

lint:
	@bash .ci/test.sh ruff lint

build:
	@bash .ci/test.sh extra

venv:
	@bash -c 'source .ci/lib.sh && cc_bootstrap && echo "$$VENV"'

format:
	@bash -c 'source .ci/lib.sh && cc_bootstrap >/dev/null && ruff check --fix . && ruff format .'

clean:
	rm -rf tests/output tests/integration/inventory .ansible collections build .pytest_cache .ruff_cache importer_result.json
	rm -f ./*.tar.gz
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf "$(CACHE)"
