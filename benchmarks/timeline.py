"""Where the time of one `autograder grade` goes: the CLI's steps, timed from inside.

    .venv/bin/python benchmarks/timeline.py [SUBMISSION [HOMEWORK]]

Follows the same path as `autograder grade` (worker started before numpy is imported here,
plan from the cache when there is one) and prints a cumulative timeline.
"""

import sys
import time

T0 = time.perf_counter()
marks = []


def mark(name):
    marks.append((name, time.perf_counter() - T0))


def main():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    submission = sys.argv[1] if len(sys.argv) > 1 else str(root / "solutions" / "backprop" / "backprop.py")
    homework = sys.argv[2] if len(sys.argv) > 2 else "backprop"
    from autograder import factory

    mark("imports before numpy (CLI, factory)")
    grader = factory.make_grader(root, homework)  # the sandbox's spare worker starts before the spec is imported
    mark("worker process started, spec and config loaded (numpy imported here, in parallel)")
    from autograder import grader as grader_module

    grader.reference  # noqa: B018
    mark("reference solution imported")
    grader.plan  # noqa: B018
    mark("plan ready (cases, reference values, finite differences; from the cache when warm)")
    session_class = grader_module._Session
    original_boot, original_load = session_class._boot, session_class.load

    def boot(self, worker):
        original_boot(self, worker)
        mark("worker ready (numpy imported, submission source received)")

    def load(self):
        result = original_load(self)
        mark("submission's definitions run in the worker")
        return result

    session_class._boot, session_class.load = boot, load
    first = time.perf_counter()
    results = grader.grade(submission)
    mark(f"{len(results.functions)} functions called and checked")
    from autograder.exporters.gradescope import to_json
    import json

    json.dumps(to_json(results))
    mark("report written (JSON)")
    previous = 0.0
    for name, t in marks:
        print(f"{t * 1000:7.1f} ms  (+{(t - previous) * 1000:6.1f})  {name}")
        previous = t
    _ = first


if __name__ == "__main__":
    main()
