# Cheaper tracker store: rasa_plugins/tracker_store.py. Its tests run in
# `make test-unit` (tests/unit/test_tracker_store.py); the benchmark is not part of `make test`.
.PHONY: bench-tracker-store
bench-tracker-store: train ## per-turn retrieve/save cost, Rasa's SQLTrackerStore vs FastSQLTrackerStore (SQLite)
	$(BIN)/python scripts/bench_tracker_store.py --model $(MODEL)
