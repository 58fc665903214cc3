# Entry points of cloudcert.tencent's tests: nox sessions (noxfile.py, antsibull-nox.toml) run by .ci/bootstrap.sh,
# which builds the pinned harness venv on first use and keeps the whole run under one cache directory
# (CLOUDCERT_CACHE, default ~/.cache/cloudcert-tencent), outside this tree.
#   make demo         the README's first command: the demo playbooks against the bundled emulator
#   make test         every session, two at a time: ruff, ansible-lint, docs, sanity/units/integration on ansible-core
#                     2.21 and the 2.16 to 2.20 matrix, build, changelog, EE, galaxy-importer, benchmark smoke, demo
#   make check        the quick loop: ruff, the harness' tests, the unit tests on Python 3.12, the module's integration target
#   make matrix       the ansible-core 2.16 to 2.20 sessions alone;  make sanity | units | integration | lint | build
#   make test SESSIONS="units-2.21 integration-2.16"   any sessions (make list shows them)
#   make docs         the docsite as HTML in build/docs/ (plugin pages and guides)
#   make format       apply ruff's formatting to the source tree
#   make clean / distclean (distclean also removes the cache)
.DEFAULT_GOAL := help
SESSIONS ?=
CACHE := $(or $(CLOUDCERT_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/cloudcert-tencent)
RUN := bash .ci/bootstrap.sh

.PHONY: help demo test check matrix sanity units integration lint build docs list format clean distclean

help:
	@sed -n 's/^#   //p' Makefile

demo:
	@$(RUN) -s demo

test:
	@$(RUN) $(if $(SESSIONS),-s $(SESSIONS))

check:
	@$(RUN) -s lint harness units-quick integration-quick

matrix:
	@$(RUN) -t matrix

sanity units integration:
	@$(RUN) -k $@

lint:
	@$(RUN) -s lint ansible-lint extra-checks docs-check

build:
	@$(RUN) -s build docs-html changelog ee importer

docs:
	@$(RUN) -s docs-html -- $(CURDIR)/build/docs

list:
	@$(RUN) --list

format:
	@CI=false $(RUN) -s formatters

clean:
	rm -rf tests/output tests/integration/inventory .ansible collections build .pytest_cache .ruff_cache importer_result.json
	rm -f ./*.tar.gz
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf "$(CACHE)"
