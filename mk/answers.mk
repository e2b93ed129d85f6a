# The answer reader on blind sets of patients' answers (issue 10): read right, dangerous
# readings and asked-again per question. Fails on any dangerous reading or below 95% read right.
.PHONY: eval-answers
eval-answers: venv ## answer reader on the blind answer sets in tests/data/blind (gate: 0 dangerous, >=95% right)
	$(BIN)/python scripts/eval_answers.py --gate --out results/answers.md > /dev/null && tail -1 results/answers.md || (cat results/answers.md; exit 1)

TEST_TARGETS += eval-answers
