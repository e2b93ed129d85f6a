# Benchmark against the stock `rasa init` assistant. Not part of `make test`.
.PHONY: bench
bench: train ## latency/throughput at 1, 20, 100 conversations, start time, memory, training time vs stock Rasa
	$(BIN)/python scripts/bench.py --model $(MODEL)
