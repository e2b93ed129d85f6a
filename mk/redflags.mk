# Red-flag detection: the labelled evaluation set through the trained model.
.PHONY: eval-redflags bench-redflags
eval-redflags: train ## red-flag sensitivity/specificity through the model's NLU and dialogue
	$(BIN)/python scripts/eval_red_flags.py --model $(MODEL) --out results/red_flags.md

bench-redflags: venv ## red-flag detector time per message (p50, p99)
	$(BIN)/python scripts/bench_red_flags.py

TEST_TARGETS += eval-redflags
