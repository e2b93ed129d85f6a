# The DVT home-care triage assistant. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v pyenv >/dev/null 2>&1 && echo "$$(pyenv root)/versions/3.10.13/bin/python" || echo python3.10)
VENV := .venv
BIN := $(VENV)/bin
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning,ignore::PendingDeprecationWarning

RASA_PORT ?= 5005
ACTIONS_PORT ?= 5055
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:$(ACTIONS_PORT)/webhook
export TRACKER_DB ?= $(CURDIR)/trackers.db
# The action server (Sanic) closes a connection that carries no request after 5 s; a busy Rasa
# server can connect and write later, and the answer is lost. 120 s as in later rasa-sdk.
export SANIC_KEEP_ALIVE_TIMEOUT ?= 120

# A model is named after the hash of everything it is trained from, so an unchanged
# assistant is never trained twice.
TRAINING_INPUTS := config.yml domain.yml requirements.lock $(shell find data rasa_plugins dvt_triage -type f \( -name '*.yml' -o -name '*.py' \) 2>/dev/null | sort)
MODEL_HASH = $(shell cat $(TRAINING_INPUTS) | sha256sum | cut -c1-12)
MODEL = models/dvt-$(MODEL_HASH).tar.gz

# Each feature area adds its own targets in mk/*.mk; TEST_TARGETS collects what `make test` runs.
.DEFAULT_GOAL := help
TEST_TARGETS :=
-include mk/*.mk

.PHONY: help venv train run shell actions test test-unit test-stories test-e2e validate lint clean
help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==24.0
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

venv: $(VENV)/.installed ## create .venv (Python 3.10) with the pinned dependencies

# Order-only: a reinstalled venv alone does not retrain (requirements.lock is in the hash).
$(MODEL): | $(VENV)/.installed
	@mkdir -p models
	@echo "Training $(MODEL) (its training data changed or no model exists)"
	@start=$$(date +%s); \
	$(BIN)/python scripts/rasa_run.py train --quiet --fixed-model-name dvt-$(MODEL_HASH) --out models && \
	echo "Training took $$(( $$(date +%s) - start )) s"

train: $(MODEL) ## train a model, unless one exists for the current data

actions: venv ## run only the action server (on 127.0.0.1 unless ACTIONS_HOST says otherwise)
	SANIC_HOST=$${ACTIONS_HOST:-127.0.0.1} $(BIN)/python scripts/rasa_run.py run actions --actions actions --port $(ACTIONS_PORT)

run: train ## start the action server and the Rasa server (REST + socketio) on 127.0.0.1 unless RASA_HOST says otherwise
	@scripts/serve.sh $(MODEL) $(RASA_PORT) $(ACTIONS_PORT)

shell: train ## chat in the terminal: with the running `make run` if there is one, else with servers of its own
	@$(BIN)/python scripts/chat.py --model $(MODEL) --rasa-port $(RASA_PORT) --actions-port $(ACTIONS_PORT)

validate: venv ## check the training data for conflicts and mistakes
	$(BIN)/python scripts/validate_data.py

lint: venv ## ruff
	$(BIN)/ruff check dvt_triage rasa_plugins actions harness tests scripts web

test-unit: train ## tests/unit: in-process, no server (criteria, answers, red flags, policies, actions)
	DVT_MODEL=$(MODEL) $(BIN)/pytest -q tests/unit

test-stories: train ## conversation stories through `rasa test` (NLU runs on every user line)
	$(BIN)/rasa test core --e2e --model $(MODEL) --stories tests/stories/test_stories.yml --fail-on-prediction-errors --out results/stories

test-e2e: train ## tests/e2e: start the real servers on free ports and talk to them (REST, widget socket, SMS)
	DVT_MODEL=$(MODEL) $(BIN)/pytest -q tests/e2e

test: validate lint test-unit test-stories test-e2e $(TEST_TARGETS) ## everything CI runs

clean: ## remove trained models, results and the local tracker database
	rm -rf models results trackers.db trackers.db-wal trackers.db-shm
