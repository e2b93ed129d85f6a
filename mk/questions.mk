# Patients' questions: the blind question sets in tests/data/blind/questions_*.yml
# through the trained model's dialogue, at the start, after the greeting and mid-check.
# Fails below 90% answered on topic or safely referred; report in results/questions.md.
.PHONY: eval-questions
eval-questions: train ## blind question sets through the dialogue (gate: >=90% on topic or safely referred)
	@set -o pipefail; $(BIN)/python scripts/eval_questions.py --gate --model $(MODEL) --out results/questions.md | tail -2

TEST_TARGETS += eval-questions
