"""Does the backprop homework grade exactly as it did before issue 15?

tests/golden/backprop.json.xz was recorded by tools/golden.py on the pre-refactor commit
(6b07017): the digest of the hidden and public plans (every case's arguments, expected value,
finite-difference probes, properties, patch, oracle) and the results, hidden and public, of
the submissions stored beside it (reference, release stubs, every mutant, the fast
adversarial entries, a 30-submission class). These tests rebuild the plans and regrade those
submissions with the code in this tree and compare field by field, the first difference per
function shown.

By default the reference, the stubs, the class and every eighth mutant and adversarial entry
are regraded (about a quarter of the record); GOLDEN_FULL=1 regrades all of them (as does
``python -m tools.golden compare``). INTENDED_TEXT_CHANGES is the only escape: (old text, new
text) pairs, each a reviewed wording change, applied to the record before comparing.
"""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tools/ is not installed
    sys.path.insert(0, str(ROOT))

from tools import golden  # noqa: E402

HOMEWORK = "backprop"
# The only escapes (tools/golden.py, shared with `python -m tools.golden compare`):
# INTENDED_TEXT_CHANGES, (old text, new text) pairs of reviewed wording changes applied to the
# record before comparing; UNSTABLE, entries whose details depend on timing (compared on the
# fields listed).
INTENDED_TEXT_CHANGES = golden.INTENDED_TEXT_CHANGES
UNSTABLE = golden.UNSTABLE

FULL = os.environ.get("GOLDEN_FULL") == "1"
RECORD = golden.load_golden(HOMEWORK)
SUBMISSIONS = golden.load_submissions(HOMEWORK)


def _sampled(items):
    """Every submission with GOLDEN_FULL=1; else the reference, the stubs, the class and every
    eighth mutant and adversarial entry (in the record's order)."""
    if FULL:
        return items
    out, seen = [], {}
    for item in items:
        group = item[0].split(":")[0]
        seen[group] = seen.get(group, -1) + 1
        if group in ("reference", "stubs", "class") or seen[group] % 8 == 0:
            out.append(item)
    return out


CHOSEN = _sampled(SUBMISSIONS)


@pytest.fixture(scope="module")
def graders():
    graders = golden.open_graders(ROOT, HOMEWORK)
    yield graders
    for g in graders:
        g.close()


def test_does_the_record_hold_every_kind_of_submission():
    groups = {key.split(":")[0] for key, _, _ in SUBMISSIONS}
    assert groups == {"reference", "stubs", "mutant", "adversarial", "class"}
    assert len([k for k, _, _ in SUBMISSIONS if k.startswith("class:")]) == golden.CLASS_SIZE
    assert set(RECORD["results"]) == {f"{mode}/{key}" for key, _, _ in SUBMISSIONS for mode in ("hidden", "public")}
    assert RECORD["results"]["hidden/reference"]["score"] == RECORD["results"]["hidden/reference"]["max_score"] > 0
    assert RECORD["results"]["hidden/stubs"]["score"] == 0


@pytest.mark.parametrize("mode", ["hidden", "public"])
def test_are_the_plans_case_for_case_the_same(graders, mode):
    grader = graders[0] if mode == "hidden" else graders[1]
    recorded = RECORD["plans"][mode]
    now = golden.plan_digest(golden.plan_of(grader))
    problems = []
    for function in list(recorded) + [f for f in now if f not in recorded]:
        found = golden.first_difference(recorded.get(function), now.get(function), f"{mode}/{function}")
        if found:
            problems.append(f"{found[0]}\n  recorded: {found[1]}\n  now:      {found[2]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key,filename,text", [pytest.param(*item, id=item[0]) for item in CHOSEN])
def test_does_the_submission_grade_as_recorded(graders, tmp_path, key, filename, text):
    problems = []
    for mode, grader in zip(("hidden", "public"), graders):
        folder = tmp_path / mode
        folder.mkdir()
        path = folder / filename
        path.write_text(text)
        now = golden.canonical_results(golden.grade(grader, path), folder)
        recorded, now = golden.comparable(f"{mode}/{key}", RECORD["results"][f"{mode}/{key}"], now)
        for function, where, old, new in golden.function_differences(recorded, now, INTENDED_TEXT_CHANGES):
            problems.append(f"{mode} {function}: {where}\n  recorded: {old!r}\n  now:      {new!r}")
    assert not problems, "\n".join(problems)
