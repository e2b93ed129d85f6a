# Reliability, privacy and security: faults, bad input, retention, dependency audit.
# The tests run inside `make test-unit` and `make test-e2e` (tests/e2e/test_faults.py,
# tests/e2e/test_bad_input.py and tests/e2e/test_security.py), so they are not added
# to TEST_TARGETS a second time.
.PHONY: purge audit test-robustness

RETENTION_DAYS ?= 30
DAYS ?= $(RETENTION_DAYS)
PURGE_ARGS ?=

purge: venv ## delete conversations idle for DAYS days (default RETENTION_DAYS, 30) from the tracker store
	$(BIN)/python scripts/purge.py --days $(DAYS) $(PURGE_ARGS)

test-robustness: train ## only this area's tests: limits, log privacy, purge, properties, faults, bad input, security
	DVT_MODEL=$(MODEL) $(BIN)/pytest -q tests/unit/test_message_limits.py tests/unit/test_log_privacy.py tests/unit/test_purge.py \
	  tests/unit/test_red_flag_properties.py tests/e2e/test_faults.py tests/e2e/test_bad_input.py tests/e2e/test_security.py

# pip-audit cannot share .venv: it needs packaging >= 22 and CacheControl >= 0.13, Rasa 3.6
# pins packaging 20.9 and CacheControl 0.12. So it gets a venv of its own, from its own lock,
# and audits requirements.lock without installing it. It asks PyPI's JSON API (needs network).
AUDIT_VENV := .venv-audit

$(AUDIT_VENV)/.installed: requirements-audit.lock
	@test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet --upgrade pip==24.0
	$(AUDIT_VENV)/bin/pip install --quiet -r requirements-audit.lock
	@touch $@

audit: $(AUDIT_VENV)/.installed ## pip-audit of requirements.lock against PyPI's advisory data (results/audit.json)
	@mkdir -p results
	$(AUDIT_VENV)/bin/pip-audit --disable-pip --no-deps --strict -r requirements.lock --format json -o results/audit.json \
	  $(foreach id,$(AUDIT_IGNORE),--ignore-vuln $(id)) || { echo "audit: see results/audit.json"; exit 1; }
	@echo "audit: no known vulnerability in requirements.lock (results/audit.json)"

# Advisories reviewed as not applying to this deployment (docs/privacy-and-security.md).
AUDIT_IGNORE :=
