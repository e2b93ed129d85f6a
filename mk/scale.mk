# Scale-out: Rasa replicas sharing PostgreSQL (tracker store) and Redis (lock store).
# deploy/endpoints.scale.yml is the configuration; docs/deployment.md the deployment.
.PHONY: test-scale
test-scale: train ## 2 Rasa replicas + PostgreSQL + Redis on loopback, 60 conversations alternating between them
	scripts/install_scale_deps.sh
	DVT_MODEL=$(MODEL) $(BIN)/pytest -q -s -p no:cacheprovider tests/services/test_scale_out.py

TEST_TARGETS += test-scale

# Retention on the scale-out tracker store: `make purge` against a throw-away PostgreSQL
# configured by deploy/endpoints.scale.yml (tests/unit/test_purge.py covers SQLite).
.PHONY: test-purge-postgres
test-purge-postgres: venv ## make purge (retention) on PostgreSQL through deploy/endpoints.scale.yml
	scripts/install_scale_deps.sh
	$(BIN)/pytest -q -p no:cacheprovider tests/services/test_purge_postgres.py

TEST_TARGETS += test-purge-postgres
