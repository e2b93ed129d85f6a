"""`rasa data validate`, failing on every warning except responses that Rasa cannot see
being used: those the form asks with (utter_ask_<slot>), those the custom actions send (the
reason texts they fill in included), the read-back the form policy sends, and those the SMS
channel sends itself.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.actions import outcome_responses  # noqa: E402
from dvt_triage import intents, read_back, responses  # noqa: E402
from dvt_triage import slots as s  # noqa: E402
from dvt_triage.criteria import Assessment  # noqa: E402
from rasa_plugins.channels import sms_text  # noqa: E402


def responses_used_outside_stories() -> set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    # Every response the code chooses is named in dvt_triage.responses.
    used = {value for name, value in vars(responses).items() if name.isupper() and value != responses.ASK_PREFIX}
    used |= {responses.ask(slot) for slot in s.FORM_SLOTS} | {responses.why(slot) for slot in s.FORM_SLOTS}
    for level in (s.HOME_CARE_POSSIBLE, s.NOT_HOME_CARE, s.NEEDS_EVALUATION):
        used |= set(outcome_responses(Assessment(level, s.EXCLUSIONS, s.CONDITIONS, s.ASSESSMENT_SLOTS)))
    used |= {responses.faq_answer(i) for i in domain["intents"] if intents.is_faq(i)}
    used |= set(read_back.RESPONSES)  # the read-back, sent by rasa_plugins.form_policy
    used |= set(sms_text.CHANNEL_RESPONSES)  # the SMS channel's own replies (STOP, HELP, ...)
    return used


def main() -> int:
    run = subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "data", "validate", "--fail-on-warnings"],
        cwd=ROOT, capture_output=True, text=True,
    )
    output = run.stdout + run.stderr
    allowed = responses_used_outside_stories()
    problems = []
    for line in output.splitlines():
        if "UserWarning" not in line and " ERROR " not in line:
            continue
        unused = re.search(r"The utterance '(\w+)' is not used in any story or rule", line)
        if unused and unused.group(1) in allowed:
            continue
        problems.append(line.strip())
    for p in problems:
        print(p)
    print(f"rasa data validate: exit {run.returncode}, {len(problems)} unexpected warning(s)")
    return 1 if run.returncode or problems else 0


if __name__ == "__main__":
    sys.exit(main())
