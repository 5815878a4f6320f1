"""Grade one submission: the core every entry point wraps.

    make_grader(course, homework, ...).grade(path) -> Results      (factory.py builds it)

1. parse the submission and keep its definitions (submission.py);
2. start a sandboxed worker (sandbox.py) and run those definitions in it;
3. for each function of the homework's spec, call it on every case of the plan (plan.py),
   check what came back (checks.py) and name known mistakes (diagnosis.py);
4. score each function from the config's points and check weights.

A Grader builds its plan (the cases, the reference's results, the finite differences) once
and reuses it for every submission it grades, which is what makes batches fast.
"""

import time

import numpy as np

from . import oracle, wire
from .checks import VALUE_CHECKS, CallOutcome, evaluate, hide_numbers, raised_in_callee, shape_sizes, unjudged
from .diagnosis import diagnose
from .results import MAX_ITEMS, CheckScore, Finding, FunctionResult, Results
from .sandbox import MID_CALL, WorkerGone, WorkerTimeout
from .structure import scalar_value
from .submission import SubmissionError, read_submission

MAX_FINDINGS = 4
MAX_OUTPUT = 2000
# The largest reply to a call the grader reads (a correct one here is under 2 MB). Up to two
# replies are alive at once (one checked while the next arrives) and a diagnosis may copy
# one: 3 x 48 MB on top of the grader's own ~100 MB keeps it under 300 MB.
MAX_REPLY_BYTES = 48 << 20
MAX_LISTED = MAX_ITEMS - 1  # skipped statements and problems listed in a report (the rest counted)
MB = 1 << 20


class Grader:
    def __init__(self, assignment, sandbox=None, *, keep_warm=False, spare=None):
        """``assignment``: what to grade against (factory.Assignment: the homework's spec,
        the config, the reference as a function of no arguments, the paths to hide, the
        module name). ``sandbox``: the Sandbox the factory made (None: no sandbox, for
        graders that only build the plan and call grade_cases in-process). ``keep_warm``:
        start the next submission's worker while the current one is graded (batches).
        ``spare``: a worker already started from ``sandbox``."""
        config = assignment.config
        if config.mode == "hidden" and assignment.reference is None:
            raise ValueError("hidden grading needs the reference solution")
        self.assignment = assignment
        self.homework = assignment.homework
        self.config = config
        self.sandbox = sandbox
        self.keep_warm = keep_warm
        self._spare = spare

    @property
    def reference(self):
        """The reference module (loaded on first use), or None for the public checks."""
        return self.assignment.reference_module() if self.config.mode == "hidden" else None

    @property
    def plan(self):
        """{function: [Case]}: built once (factory.Assignment.plan: the reference's values
        and the finite differences, kept in the plan cache unless there is no isolation, when
        a submission could rewrite the cache)."""
        return self.assignment.plan(use_cache=self.sandbox is not None and self.sandbox.mode != "none")

    def prestart(self):
        """Start a worker now, for the next grade() to use."""
        if self._spare is None:
            self._spare = self.sandbox.start()

    def _describe_sandbox(self):
        return self.sandbox.describe() if self.sandbox is not None else {"isolation": None}

    def _take_worker(self):
        if self.sandbox is None:
            raise RuntimeError("this grader has no sandbox (made with isolation=None): it grades in-process only")
        worker, self._spare = self._spare, None
        return worker if worker is not None else self.sandbox.start()

    def close(self):
        if self._spare is not None:
            self._spare.kill()
            self._spare = None
        if self.sandbox is not None:
            self.sandbox.close()

    def grade_one(self, path):
        """Grade one file and close: the worker starts first (make_grader starts it), so
        its start-up overlaps loading the reference and building the plan."""
        try:
            self.prestart()
            return self.grade(path)
        finally:
            self.close()

    # -- one submission ------------------------------------------------------------------

    def grade(self, path):
        started = time.monotonic()
        limits = self.config.limits
        deadline = started + limits.total_seconds
        name = str(path)
        try:
            parsed = read_submission(path, self.homework.names)
        except SubmissionError as err:
            return self._fatal(name, str(err), started)
        if parsed.fatal:
            return self._fatal(name, parsed.fatal, started, parsed)
        if not parsed.units:
            return self._fatal(name, "the submission defines nothing (no functions, no imports)", started, parsed)

        worker = self._take_worker()
        if self.keep_warm:
            self.prestart()
        session = _Session(self, worker, parsed, deadline)
        try:
            plan = self.plan  # built while the worker starts
            loaded = session.load()
            if loaded is None:
                return self._fatal(name, f"the file's definitions could not be run: {session.restart_problem}", started, parsed, session.unit_results)
            functions = []
            names = list(self.config.functions)
            for index, function in enumerate(names):
                following = plan[names[index + 1]][0] if index + 1 < len(names) and plan[names[index + 1]] else None
                functions.append(session.grade_function(function, plan[function], loaded.get(function, {}), following))
            session.drain()
        finally:
            if session.worker is not None:
                session.worker.stop()
        _cross_reference(functions, parsed.calls)
        _point_at_returns(functions, parsed.returns)
        score = round(sum(f.score for f in functions), 4)
        return Results(
            submission=name,
            mode=self.config.mode,
            score=score,
            max_score=self.config.max_score,
            functions=functions,
            load=_load_report(parsed, session.unit_results, self.config.mode),
            sandbox=self._describe_sandbox(),
            execution_time=round(time.monotonic() - started, 3),
        )

    def _fatal(self, name, message, started, parsed=None, unit_results=None):
        functions = []
        for function in self.config.functions:
            functions.append(
                FunctionResult(
                    name=function, score=0.0, max_score=self.config.points[function],
                    findings=[Finding("load", "", message, "submission_error")], mistakes=["submission_error"],
                    summary=message,
                )  # fmt: skip
            )
        load = _load_report(parsed, unit_results, self.config.mode) if parsed else {}
        return Results(
            submission=name, mode=self.config.mode, score=0.0, max_score=self.config.max_score,
            functions=functions, load=load, fatal=message, sandbox=self._describe_sandbox(),
            execution_time=round(time.monotonic() - started, 3),
        )  # fmt: skip


class _Session:
    """The state of grading one submission: the current worker and the deadline."""

    def __init__(self, grader, worker, parsed, deadline):
        self.grader = grader
        self.config = grader.config
        self.worker = worker
        self.parsed = parsed
        self.deadline = deadline
        self.restart_problem = None
        self.inflight = None  # the case whose request was sent ahead (see prefetch)
        self.unit_results = []  # one dict per kept statement: ok / exception / timed out
        self.good_units = []  # statements that ran cleanly, replayed after a restart

    def _boot(self, worker):
        """Wait for a fresh worker and give it the submission's source."""
        worker.wait_ready(min(self.deadline, time.monotonic() + 30))
        init = {
            "op": "load", "init": True, "filename": self.parsed.filename, "source": self.parsed.source, "units": [],
            "module": self.grader.assignment.module_name,
        }  # fmt: skip
        worker.request(init, deadline=min(self.deadline, time.monotonic() + 10), max_bytes=MB)

    def _run_units(self, units):
        limit = self.config.limits.import_seconds
        header = {"op": "load", "units": [u.wire() for u in units]}
        reply, _ = self.worker.request(header, deadline=min(self.deadline, time.monotonic() + limit), max_bytes=64 * MB)
        outcomes = reply.get("units")
        if reply.get("op") != "loaded" or not isinstance(outcomes, list) or len(outcomes) != len(units):
            self.worker.kill()
            raise WorkerGone("the worker's reply did not follow the protocol")
        return [_clean_unit(o, self.config.limits.output_chars) for o in outcomes]

    def load(self):
        """Run the kept statements one at a time; a statement that hangs or ends the worker
        is reported and skipped (the worker restarts and replays the good ones). Returns the
        description of the contract's functions, or None if nothing could be run."""
        limits = self.config.limits
        try:
            self._boot(self.worker)
        except (WorkerTimeout, WorkerGone) as err:
            self.restart_problem = getattr(err, "reason", "the worker did not start")
            return None
        for unit in self.parsed.units:
            try:
                outcome = self._run_units([unit])[0]
            except WorkerTimeout:
                outcome = {"ok": False, "timeout": True, "exception": {"type": "timeout", "message": f"did not finish within {limits.import_seconds:g} s (an endless loop?)"}}
                self._restart()
            except WorkerGone as err:
                outcome = {"ok": False, "died": True, "exception": {"type": "ended the process", "message": err.reason}}
                self._restart()
            self.unit_results.append(outcome)
            if outcome.get("ok"):
                self.good_units.append(unit)
            if self.worker is None:
                return None
        try:
            names = list(self.grader.homework.names)
            reply, _ = self.worker.request({"op": "load", "units": [], "names": names}, deadline=min(self.deadline, time.monotonic() + 10), max_bytes=MB)
            functions = _clean_functions(reply.get("functions"), names)
        except (WorkerTimeout, WorkerGone) as err:
            self.restart_problem = getattr(err, "reason", "the worker stopped answering")
            self._restart()
            return None
        return functions

    def _restart(self):
        if self.worker is not None:
            self.worker.kill()
        self.worker = None
        if time.monotonic() >= self.deadline:
            self.restart_problem = "the submission's total time limit ran out"
            return
        worker = self.grader.sandbox.start()
        self.worker = worker
        try:
            self._boot(worker)
            if self.good_units:
                self._run_units(self.good_units)
        except (WorkerTimeout, WorkerGone) as err:
            worker.kill()
            self.worker = None
            self.restart_problem = f"the worker could not be restarted ({getattr(err, 'reason', 'timed out')})"

    def prefetch(self, case):
        """Send ``case``'s request now, so the worker computes it while this process checks
        the previous result; ``call(case)`` then collects the reply."""
        if case is None or self.worker is None or self.inflight is not None or time.monotonic() >= self.deadline:
            return
        header, blobs = _request(case, self.config.limits)
        try:
            self.worker.send(header, blobs, time.monotonic() + self.config.limits.call_seconds)
        except (WorkerGone, WorkerTimeout):
            return  # call() will find the worker gone and say so
        self.inflight = case

    def drain(self):
        """Collect and drop a reply nobody asked for (a prefetched case that was not needed)."""
        if self.inflight is not None:
            self.call(self.inflight)

    def call(self, case):
        limits = self.config.limits
        if self.inflight is not None and self.inflight is not case:
            self.drain()
        if self.worker is None:
            self.inflight = None
            return CallOutcome("skipped", reason=self.restart_problem or "the worker is not running")
        if self.inflight is not None:
            self.inflight = None
        else:
            if time.monotonic() >= self.deadline:
                return CallOutcome("skipped", reason=f"the submission's total time limit ({limits.total_seconds:g} s) ran out")
            header, blobs = _request(case, limits)
            try:
                self.worker.send(header, blobs, min(time.monotonic() + limits.call_seconds, self.deadline))
            except WorkerTimeout:
                self._restart()
                return CallOutcome("timeout", reason=f"{limits.call_seconds:g} s per call")
            except WorkerGone as err:
                self._restart()
                return CallOutcome("died", reason=err.reason)
        session = oracle.Session(case.oracle) if case.oracle is not None else None
        try:
            reply, reply_blobs = self._collect(session)
        except WorkerTimeout as err:
            total = bool(err.args) and err.args[0] == "total"
            reason = f"the submission's total limit of {limits.total_seconds:g} s" if total else f"{limits.call_seconds:g} s per call"
            self._restart()
            return CallOutcome("timeout", reason=reason)
        except WorkerGone as err:
            self._restart()
            return CallOutcome("died", reason=err.reason)
        except oracle.OracleError as err:
            self._restart()
            return CallOutcome("died", reason=f"the worker's requests to the grader did not follow the protocol ({err})")
        try:
            outcome = _read_call_reply(reply, reply_blobs, limits, len(case.args))
        except (wire.WireError, ValueError, KeyError, TypeError, AttributeError, OverflowError) as err:
            self._restart()
            return CallOutcome("died", reason=f"the worker's reply did not follow the protocol ({type(err).__name__})")
        outcome.evidence = session.evidence if session is not None else None
        return outcome

    def _collect(self, session):
        """Wait for the reply to the call in progress, answering the oracle requests it makes
        (``session``; None: it may make none). Returns (reply, blobs).

        The time limit measures the student's code: ``call_seconds`` runs from the moment this
        process sees the worker's "started" frame, which the worker sends right before calling
        the function, not from when the request was sent (a request sent ahead, see prefetch,
        may wait while this process checks the previous result). Until "started" arrives the
        worker gets ``call_seconds`` from now; the total limit bounds everything."""
        limits = self.config.limits
        max_bytes = min(limits.result_mb * MB + 16 * MB, MAX_REPLY_BYTES)

        def until(start):
            return min(start + limits.call_seconds, self.deadline)

        wait_until = until(time.monotonic())
        started = None
        while True:
            try:
                header, blobs = self.worker.receive_in_call(wait_until, max_bytes)
            except WorkerTimeout:
                raise WorkerTimeout("total" if wait_until >= self.deadline else "call") from None
            op = header.get("op")
            if op == "started" and started is None:
                started = time.monotonic()
                wait_until = until(started)
            elif op == "oracle" and started is not None and session is not None:
                answer, answer_blobs = session.handle(header, blobs)
                self.worker.answer(answer, answer_blobs, wait_until)
            elif op in MID_CALL:
                self.worker.kill()
                raise WorkerGone(f"the worker sent an unexpected {op!r} frame during a call")
            else:
                return header, blobs

    def grade_function(self, name, cases, info, following=None):
        grader = self.grader
        return grade_cases(name, cases, info, self.call, self.config, grader.reference, self.prefetch, following, homework=grader.homework)


def grade_cases(name, cases, info, call, config, reference=None, prefetch=None, following=None, *, homework):
    """Grade one function of ``homework`` (its spec: homework.function(name)): ``call(case)
    -> CallOutcome`` runs it on a case (in a sandboxed worker, or in-process for otter and
    nbgrader kernels); ``info`` describes its signature. ``prefetch(case)``, if given,
    starts the next case early (``following``: the first case of the next function)."""
    spec = homework.function(name)
    points = config.points[name]
    problem = _definition_problem(spec, info)
    if problem:
        message, mistake = problem
        return FunctionResult(name, 0.0, points, findings=[Finding("defined", "", message, mistake)], mistakes=[mistake], summary=message)

    mode = config.mode
    tallies = {}
    findings, mistakes = [], []
    wrong_default = _default_problem(spec, info)
    tallies["signature"] = (0 if wrong_default else 1, 1)
    if wrong_default:
        findings.append(Finding("signature", "", wrong_default, "wrong_default", "use the contract's default values"))
        mistakes.append("wrong_default")
    outputs, warnings = [], []
    credits = []  # the share of the points each case earns (case_credit)
    seen_messages = set()
    seconds = 0.0
    stop_reason = None
    for index, case in enumerate(cases):
        if stop_reason:
            outcome = CallOutcome("skipped", reason=stop_reason)
        else:
            outcome = call(case)
            if prefetch is not None and outcome.status in ("ok", "raised") and not _not_implemented(outcome):
                prefetch(cases[index + 1] if index + 1 < len(cases) else following)
        seconds += outcome.seconds
        try:
            verdicts, leaves = evaluate(case, outcome, mode, config.tolerance, spec.params, homework=homework)
        except Exception as err:  # noqa: BLE001 - one result the checks cannot read fails its case, not the grading
            verdicts, leaves = unjudged(case, mode, err, homework=homework), None
        for verdict in verdicts:
            passed, total = tallies.get(verdict.check, (0, 0))
            tallies[verdict.check] = (passed + (verdict.status == "pass"), total + 1)
        credits.append(case_credit(verdicts, not wrong_default, config.weights))
        failed = [v for v in verdicts if v.status == "fail"]
        if failed:
            first = failed[0]
            try:
                found = diagnose(case, outcome, verdicts, leaves, mode, reference, homework=homework, wording=getattr(config, "feedback", "fix"))
            except Exception:  # noqa: BLE001 - a diagnosis that fails names nothing; the case has failed already
                found = None
            mistake = found.mistake if found else first.mistake
            message = first.message
            if found:
                message = f"{message}. Likely cause: {found.explanation}"
            fix = found.fix if found else first.fix
            key = (first.check, mistake)  # one finding per check and mistake, not one per case
            worth_saying = outcome.status != "skipped" or not findings
            if key not in seen_messages and len(findings) < MAX_FINDINGS and worth_saying:
                seen_messages.add(key)
                findings.append(Finding(first.check, case.label, message, mistake, fix))
            if mistake and mistake not in mistakes:
                mistakes.append(mistake)
            for later in failed[1:]:
                if later.mistake and later.mistake not in mistakes:
                    mistakes.append(later.mistake)
                    if len(findings) < MAX_FINDINGS:
                        findings.append(Finding(later.check, case.label, later.message, later.mistake, later.fix))
        if _not_implemented(outcome) and not raised_in_callee(outcome, name):  # a stub it calls may not be reached by every case
            stop_reason = "the function is not implemented"
        elif outcome.status in ("timeout", "died"):
            stop_reason = f"an earlier case {'timed out' if outcome.status == 'timeout' else 'ended the worker'}"
        if outcome.output_chars:
            outputs.append((case.label, outcome.output, outcome.output_chars))
        for w in outcome.warnings:
            message = w.get("message")
            if mode == "hidden":  # a warning may quote hidden inputs or values computed from them
                message = hide_numbers(str(message), shape_sizes(case), names=homework.message_pattern)
            text = f"{w.get('category')}: {message}"
            if text not in warnings and len(warnings) < 3:
                warnings.append(text)

    score = _score(points, credits)
    checks = [CheckScore(check, passed, total, config.weights.get(check, 0.0)) for check, (passed, total) in tallies.items()]
    summary = "all checks passed" if not findings else findings[0].message
    return FunctionResult(
        name=name, score=score, max_score=points, checks=checks, findings=findings, mistakes=mistakes,
        summary=summary, output=_output_text(outputs, mode), warnings=warnings, seconds=round(seconds, 4),
    )  # fmt: skip


# --- replies from the worker: data the submission could have shaped, read strictly -------


def _text(value, limit):
    return str(value)[:limit] if isinstance(value, (str, int, float)) else ""


def _clean_exception(data):
    if not isinstance(data, dict):
        return {"type": "?", "message": "", "where": None}
    where = data.get("where")
    if isinstance(where, dict) and type(where.get("line")) is int:
        where = {"line": min(max(where["line"], 0), 10**9), "function": _text(where.get("function"), 100), "text": _text(where.get("text"), 200)}
    else:
        where = None
    return {"type": _text(data.get("type"), 100), "message": _text(data.get("message"), 500), "where": where}


def _clean_unit(data, output_chars):
    if not isinstance(data, dict):  # the worker is replaced, as for any broken reply
        raise WorkerGone("the worker's reply did not follow the protocol (a statement's outcome is not an object)")
    out = {"ok": data.get("ok") is True, "output": _text(data.get("output"), output_chars)}
    count = data.get("output_chars")
    out["output_chars"] = min(count, 10**12) if type(count) is int and count >= 0 else 0
    if not out["ok"]:
        out["exception"] = _clean_exception(data.get("exception"))
    return out


def _clean_functions(data, names):
    if not isinstance(data, dict):
        raise WorkerGone("the worker's reply did not follow the protocol")
    out = {}
    for name in names:
        entry = data.get(name)
        if not isinstance(entry, dict) or entry.get("defined") is not True:
            out[name] = {"defined": False}
            continue
        params = entry.get("params")
        if isinstance(params, list) and all(isinstance(p, dict) for p in params):
            params = [
                {"name": _text(p.get("name"), 100), "kind": _text(p.get("kind"), 40), "default": p.get("default") is True,
                 "value": p.get("value") if type(p.get("value")) in (int, float) else None}
                for p in params[:50]
            ]  # fmt: skip
        else:
            params = None
        out[name] = {"defined": True, "callable": entry.get("callable") is True, "type": _text(entry.get("type"), 100), "params": params}
    return out


def _read_call_reply(reply, blobs, limits, arg_count):
    if reply.get("op") != "called" or reply.get("status") not in ("ok", "raised"):
        raise ValueError("not a call reply")
    value = wire.decode_value(reply["result"], blobs)
    warnings = reply.get("warnings", [])
    if not isinstance(warnings, list):
        raise ValueError("bad warnings")
    seconds, count = reply.get("seconds", 0.0), reply.get("output_chars", 0)
    return CallOutcome(
        status=reply["status"], value=value, args_after=_args_after(reply.get("args_after"), blobs, arg_count),
        exception=_clean_exception(reply.get("exception")) if reply["status"] == "raised" else None,
        output=_text(reply.get("output", ""), limits.output_chars),
        output_chars=_clamped(count, 0, MAX_COUNT, int),
        warnings=[{"category": _text(w.get("category"), 100), "message": _text(w.get("message"), 200)} for w in warnings[:5] if isinstance(w, dict)],
        seconds=_clamped(seconds, 0.0, limits.call_seconds, float),
    )  # fmt: skip


MAX_COUNT = 10**12  # a count the worker reports (characters printed) is kept within this


def _args_after(data, blobs, arg_count):
    """The arguments as the worker reports them after the call, or None (which fails the
    inputs_unchanged check) when the report is missing, of the wrong length or malformed:
    a report the submission's process could have shaped earns nothing by default."""
    if not isinstance(data, list) or len(data) != arg_count:
        return None
    try:
        return [wire.decode_value(a, blobs) for a in data]
    except (wire.WireError, ValueError, KeyError, TypeError, AttributeError, OverflowError, IndexError):
        return None


def _clamped(value, low, high, kind):
    """A number the worker reported, as ``kind`` within [low, high]; low if it is not a
    finite number."""
    if type(value) not in (int, float) or value != value or value in (float("inf"), float("-inf")):
        return kind(low)
    return kind(min(max(value, low), high))


def _not_implemented(outcome):
    return outcome.status == "raised" and (outcome.exception or {}).get("type") == "NotImplementedError"


def _request(case, limits):
    cached = getattr(case, "_wire", None)
    if cached is None:
        blobs = []
        args = [wire.encode_value(a, blobs, 1 << 40) for a in case.args]
        header = {
            "op": "call", "fn": case.function, "args": args, "functions": case.test_functions,
            "patch": case.patch, "max_bytes": limits.result_mb * MB,
        }  # fmt: skip
        cached = (header, blobs)
        case._wire = cached
    return cached


def _definition_problem(spec, info):
    if not info or not info.get("defined"):
        return f"{spec.name} is not defined: write a top-level function `def {spec.name}({', '.join(spec.params)}):`", "missing_function"
    if not info.get("callable"):
        return f"{spec.name} is a {info.get('type', 'value')}, not a function", "missing_function"
    params = info.get("params")
    if params is None:
        return None  # a callable whose signature cannot be read: call it and see
    positional = [p for p in params if p["kind"] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")]
    star = any(p["kind"] == "VAR_POSITIONAL" for p in params)
    required = [p for p in params if not p["default"] and p["kind"] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD", "KEYWORD_ONLY")]
    theirs = f"{spec.name}({', '.join(p['name'] for p in params)})"
    wanted = f"{spec.name}({', '.join(spec.params)})"
    too_many_required = len([p for p in required if p["kind"] != "KEYWORD_ONLY"]) > len(spec.required) or any(p["kind"] == "KEYWORD_ONLY" for p in required)
    too_few = len(positional) < len(spec.params) and not star
    if too_many_required or too_few:
        return f"wrong signature: the contract calls {wanted}; yours is {theirs}", "wrong_signature"
    return None


def _default_problem(spec, info):
    """A message when a parameter's default differs from the contract's, else None."""
    params = info.get("params") or []
    for index, name in enumerate(spec.params):
        if name not in spec.defaults or index >= len(params):
            continue
        theirs = params[index]
        value = theirs.get("value")
        wanted = spec.defaults[name]
        if theirs.get("default") and value is not None and not abs(scalar_value(value) - float(wanted)) <= 1e-12 * max(1.0, abs(wanted)):
            return f"the default of {theirs['name']} is {value!r}; the contract's is {wanted!r}"
    return None


def case_credit(verdicts, signature_ok, weights):
    """The share of a function's points one test case earns: points follow correct values.

    A case is right when it returned and every value-type check that applies to it passes
    (checks.VALUE_CHECKS: the value, the finite differences, the properties). A case that is
    not right earns 0, whatever its shape and dtype. A right case earns the weights of the
    checks it passes, the signature included, divided by the weights of the checks that
    apply to it: a right value computed by changing the inputs in place loses only the
    inputs_unchanged share. A case with no value-type check at all (only in the public
    checks) is judged by its other checks alone.
    """
    status = {v.check: v.status for v in verdicts}
    if status.get("returns") != "pass" or any(status[c] != "pass" for c in VALUE_CHECKS if c in status):
        return 0.0
    passed = dict({c: s == "pass" for c, s in status.items()}, signature=signature_ok)
    total = sum(weights.get(c, 0.0) for c in passed)
    if not total > 0:
        return 1.0
    return sum(weights.get(c, 0.0) for c, ok in passed.items() if ok) / total


def _score(points, credits):
    """Points times the mean credit of the function's cases (0 for no case)."""
    return round(points * sum(credits) / len(credits), 4) if credits else 0.0


def _output_text(outputs, mode):
    if not outputs:
        return ""
    total = sum(n for _, _, n in outputs)
    if mode == "hidden":
        return f"(the function printed {total} characters; output is not shown for hidden tests)"
    text = "".join(f"[{label}]\n{out}\n" for label, out, _ in outputs)
    if len(text) > MAX_OUTPUT or total > sum(len(o) for _, o, _ in outputs):
        text = text[:MAX_OUTPUT] + f"\n... ({total} characters printed in all)"
    return text


def _load_report(parsed, unit_results, mode):
    # Lists are built no longer than the report keeps them (results.MAX_ITEMS): a submission
    # of 100,000 skipped statements costs one count, not 100,000 lines (the counts say how many).
    report = {
        "kept": len(parsed.units),
        "skipped": [f"{label}: {reason}" for label, reason in parsed.skipped[:MAX_LISTED]],
        "problems": [f"{label}: {message}" for label, message in parsed.problems[:MAX_LISTED]],
        "main_blocks": parsed.main_blocks,
    }
    if len(parsed.skipped) > MAX_LISTED:
        report["skipped"].append(f"... and {len(parsed.skipped) - MAX_LISTED:,} more")
        report["skipped_count"] = len(parsed.skipped)
    failed = len(parsed.problems)
    printed = 0
    for unit, outcome in zip(parsed.units, unit_results or []):
        printed += int(outcome.get("output_chars", 0))
        if outcome.get("ok"):
            continue
        failed += 1
        if len(report["problems"]) >= MAX_LISTED:
            continue
        exc = outcome.get("exception") or {}
        if outcome.get("timeout") or outcome.get("died"):
            text = f"{unit.label}: {exc.get('type')}: {exc.get('message', '')} (skipped; the rest still ran)"
        else:
            text = f"{unit.label}: raised {exc.get('type')}: {exc.get('message', '')}".rstrip(": ")
            where = exc.get("where")
            if where and where.get("text"):
                text += f" at `{where['text']}`"
        report["problems"].append(text)
    if failed > MAX_LISTED:
        report["problems"].append(f"... and {failed - MAX_LISTED:,} more")
        report["problems_count"] = failed
    if printed:
        report["printed_chars"] = printed
    return report


def _cross_reference(functions, calls):
    """Tell each failing function which graded functions it uses, directly or through the
    submission's own helpers, lambdas and classes (``calls``: the call graph derived from
    the submission's syntax tree, see submission.CallGraph), fail their own checks.

    A message only: the grader never runs reference code inside the student's worker (that
    would hand the reference to the submission), so a function keeps the points its checks
    gave it; the contract's whole-network functions lose points when a step they call is
    wrong, as the contract says."""
    by_name = {f.name: f for f in functions}
    for f in functions:
        if f.passed:
            continue
        reached = calls.reaches(f.name)
        broken = [g.name for g in functions if g.name in reached and not g.passed]
        if not broken:
            continue
        named = []
        for callee in broken[:4]:
            helpers = calls.route(f.name, callee)[1:-1]
            through = f" (through {' and '.join(helpers)})" if helpers and not any(h in by_name for h in helpers) else ""
            named.append(f"{callee}{through}")
        if len(broken) > 4:
            named.append(f"{len(broken) - 4} more")
        listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
        one = len(broken) == 1
        message = f"{f.name} calls your {listed}, which fail{'s' if one else ''} {'its' if one else 'their'} own checks: fix {'it' if one else 'them'} first"
        f.findings.append(Finding("calls", "", message))


VALUE_FINDINGS = ("value", "finite_differences", "properties")


def _point_at_returns(functions, returns):
    """A wrong value's finding names the line that returns it (``returns``: Parsed.returns,
    found from the syntax tree): "returned at line 57: `return X2 @ dZ2`". The line is the
    student's own text, never a hidden value."""
    for f in functions:
        where = returns.get(f.name)
        if where is None:
            continue
        for finding in f.findings:
            if finding.check in VALUE_FINDINGS:
                finding.message += f" (returned at {where.location}: `{where.text}`)"


__all__ = ["Grader", "grade_cases", "np"]
