SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules

# Tests run every compiled *.test.js of the workspaces, one file at a time per core.
TEST_FILES = $(shell find proto services -path '*/node_modules' -prune -o -path '*/dist/*' -name '*.test.js' -print | sort)

.PHONY: help
help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

.PHONY: install
install: ## Install system packages, npm dependencies, the Kafka jars and Helm (idempotent)
	@bash deploy/local/install.sh

.PHONY: proto
proto: ## Regenerate the TypeScript of proto/ with buf and ts-proto
	cd proto && npx buf lint && npx buf generate

.PHONY: build
build: ## Compile every workspace
	npx tsc -b services/gateway

.PHONY: lint
lint: ## Run ESLint and check formatting
	npx eslint .
	npx prettier --check .

.PHONY: fmt
fmt: ## Format the sources
	npx prettier --write .

.PHONY: parts
parts: ## Start Kafka, clamd and PostgreSQL on loopback (idempotent)
	@bash deploy/local/parts.sh start

.PHONY: parts-stop
parts-stop: ## Stop Kafka, clamd and PostgreSQL
	@bash deploy/local/parts.sh stop

.PHONY: test
test: install build parts ## Run all tests against real Kafka, clamd and PostgreSQL
	@source deploy/local/env.sh && node --test --test-reporter=spec --test-timeout=600000 $(TEST_FILES)

.PHONY: run
run: install build ## Start the whole gateway in one process: SMTP on 127.0.0.1:2525
	@bash deploy/local/clamd.sh start
	@export MAILSHIELD_CLAMD_ADDRESS="$${MAILSHIELD_CLAMD_ADDRESS:-127.0.0.1:$${MAILSHIELD_CLAMD_PORT:-3310}}" && \
	  exec node services/gateway/dist/main.js

.PHONY: bench
bench: install build parts ## Measure throughput and latency of the whole pipeline
	@source deploy/local/env.sh && node services/gateway/dist/bench/main.js

.PHONY: bench-antivirus
bench-antivirus: install build parts ## Measure the antivirus scan against raw clamd
	@source deploy/local/env.sh && node --expose-gc services/antivirus/dist/bench/main.js

# Not part of test or ci: it reads the spam corpus and installs SpamAssassin when missing.
.PHONY: eval-spam
eval-spam: install build ## Compare the antispam engine and its Bayes with SpamAssassin on a corpus split
	@node services/antispam/dist/eval/main.js

.PHONY: ci
ci: lint test ## What CI runs

.PHONY: clean
clean: ## Remove build output and local state
	rm -rf proto/dist services/*/dist var
	find . -name '*.tsbuildinfo' -not -path './node_modules/*' -delete
