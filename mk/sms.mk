# SMS through Twilio: rasa_plugins/channels/sms.py, configured by credentials.sms.yml.
# Its tests run inside `make test-unit` and `make test-e2e` (tests/unit/test_sms_*.py and tests/e2e/test_sms.py),
# so they are not added to TEST_TARGETS a second time.
.PHONY: run-sms sms-settings test-sms

SMS_REQUIRED := TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_NUMBER SMS_WEBHOOK_URL

run-sms: export SMS_VALIDATE_SIGNATURE ?= true
run-sms: export SMS_DB ?= $(dir $(TRACKER_DB))sms.db
run-sms: export TWILIO_API_BASE_URL ?= https://api.twilio.com
run-sms: sms-settings train ## `make run` plus the SMS channel; needs TWILIO_ACCOUNT_SID/AUTH_TOKEN/NUMBER, SMS_WEBHOOK_URL
	@creds=$$(mktemp /tmp/dvt-credentials.XXXXXX); trap 'rm -f $$creds' EXIT; \
	{ cat credentials.yml; echo; cat credentials.sms.yml; } > $$creds; \
	echo "  SMS: Twilio posts to $$SMS_WEBHOOK_URL (signature check: $$SMS_VALIDATE_SIGNATURE, opt-outs: $$SMS_DB)"; \
	CREDENTIALS=$$creds scripts/serve.sh $(MODEL) $(RASA_PORT) $(ACTIONS_PORT)

sms-settings: # fail before training when a required SMS setting is missing
	@for v in $(SMS_REQUIRED); do test -n "$${!v:-}" || { \
	  echo "run-sms: set $$v (see docs/channels.md, SMS)"; exit 1; }; done

test-sms: train ## only the SMS tests: rules, store, channel settings, and end to end with a fake Twilio
	DVT_MODEL=$(MODEL) $(BIN)/pytest -q tests/unit/test_sms_text.py tests/unit/test_sms_store.py tests/unit/test_sms_channel.py tests/e2e/test_sms.py

# SMS conversations are keyed by a keyed hash of the number (SMS_ID_KEY, or a key
# kept in SMS_DB), no longer by the number. Once, after upgrading, with the servers stopped:
.PHONY: migrate-sms-ids
migrate-sms-ids: export SMS_DB ?= $(dir $(TRACKER_DB))sms.db
migrate-sms-ids: venv ## move SMS conversations stored under phone numbers to their keyed ids (MIGRATE_ARGS=--dry-run)
	$(BIN)/python scripts/migrate_sms_ids.py $(MIGRATE_ARGS)
