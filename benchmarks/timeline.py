"""Where the time of one `autograder grade` goes: the CLI's steps, timed from inside.

    .venv/bin/python benchmarks/timeline.py [SUBMISSION]

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
    submission = sys.argv[1] if len(sys.argv) > 1 else str(root / "solutions" / "backprop.py")
    import autograder.config as config_module
    import autograder.sandbox as sandbox_module
    from autograder.course import Course

    mark("imports before numpy (CLI, config, sandbox)")
    course = Course(root)
    config = config_module.load_config(course.grading_config)
    sandbox = sandbox_module.Sandbox(config.limits, hide=[course.root])
    spare = sandbox.start()
    mark("worker process started (it imports numpy in parallel)")
    from autograder import grader as grader_module

    mark("numpy and the grading modules imported")
    from autograder.reference import load_reference

    reference = load_reference(course)
    mark("reference solution imported")
    grader = grader_module.Grader(config, reference, sandbox=sandbox, spare=spare)
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
    mark(f"25 functions called and checked ({len(results.functions)} results)")
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
