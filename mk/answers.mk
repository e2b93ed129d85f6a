# Patients' answers on the blind sets in tests/data/blind: read right, dangerous
# readings and asked again, per question, twice: by the answer reader alone, and through the
# trained model's dialogue as the server runs it (NLU, emergency overrides, form policy).
# Each fails on any dangerous reading or below 95% read right; reports in results/.
.PHONY: eval-answers
eval-answers: train ## blind answer sets through the reader and the dialogue (gate: 0 dangerous, >=95% right)
	@set -o pipefail; $(BIN)/python scripts/eval_answers.py --gate --out results/answers.md | tail -1 | sed 's/^/reader: /'
	@set -o pipefail; $(BIN)/python scripts/eval_answers.py --gate --model $(MODEL) --out results/answers_dialogue.md \
	  | tail -1 | sed 's/^/dialogue: /'

TEST_TARGETS += eval-answers
