"""The golden record of a homework: what its grading gives, kept to prove a refactor changed nothing.

    python -m tools.golden record [--homework backprop] [--out tests/golden/backprop.json]
    python -m tools.golden compare [--homework backprop] [--only hidden/mutant:...]
    python -m tools.golden show [--homework backprop] KEY...   (e.g. hidden/reference, plan/hidden/dJ_dW2)

``record`` writes two files beside each other:

* ``<name>.json.xz``: a canonical JSON (xz-compressed: 5 MB of JSON, 70 kB on disk) of (1) the plan digest, hidden and public: for every case
  its function, label, dims, the sha256 of each argument, of the expected value, of every
  finite-difference probe (numeric values and directions), its property names, patch and
  oracle fields; (2) the results, hidden and public, of every recorded submission: per
  function score, max_score, check tallies, mistakes, every finding (check, case, message,
  mistake, fix), warnings, output, plus the load report. Timings, the sandbox description,
  pids and absolute paths are dropped.
* ``<name>-submissions.json.xz``: the submissions themselves (the reference, the release
  stubs, every mutant of tools/mutants.py, the fast entries of tools/adversarial.py's
  catalogue, 30 tools/classgen submissions), exactly as graded when recording, so a
  comparison regrades the same bytes whatever the tools or the reference's prose become.

``compare`` (and tests/test_golden.py) regrades those submissions with the code in this
tree and reports differences, the first one per function. The engine is reached through a
small adapter (``open_graders``) that speaks both the pre-issue-15 API
(``Grader(config, reference)``) and the factory (``make_grader(root, name, ...)``).
"""

import argparse
import hashlib
import io
import json
import lzma
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
# Short limits, as the test suites use: only submissions that time out depend on them.
LIMITS = {"call_seconds": 2, "import_seconds": 2, "total_seconds": 60, "memory_mb": 1024}
# Renamed without a change of meaning by issue 15 (oracle kinds of gradient_check's patch).
PATCH_KINDS = {"grads": "scale_dict", "numgrad": "scale_array"}
CLASS_SIZE = 30
CLASS_SEED = 1

# (old text, new text): wording changes accepted on purpose, applied to every text of the
# record before comparing. Each is reviewed; nothing else is an accepted difference.
INTENDED_TEXT_CHANGES = (
    # issue 15: the engine names no homework (oracle.py's protocol error)
    ("backprop's result sent to the oracle is not a dict of arrays", "the gradients sent to the oracle are not a dict of arrays"),
)
# Recorded entries whose details depend on the machine's timing, or on the engine's own source
# text, rather than on what the engine decides (each seen to differ between two gradings by the
# recording commit itself, or explained below): key -> (fields compared, why).
UNSTABLE = {
    "adversarial:sigint-from-a-timer": (("max_score",), "a timer interrupts whichever call is running when it fires"),
    "adversarial:return-just-under-the-size-cap": (("score", "max_score"), "encoding 120 MB takes about the call limit: a timeout or the size cap, by load"),
    "adversarial:memfd-fallocate-beyond-the-memory-limit": (("score", "max_score"), "killed by the memory limit or by the call limit, by load"),
    "adversarial:reply-60mb-array": (("score", "max_score"), "the reply's size in the message includes the call's timing"),
    "adversarial:hunt-at-import": (("score", "max_score"), "the loot includes the worker's command line, the engine's own source"),
    "adversarial:hunt-in-functions": (("score", "max_score"), "the loot includes the worker's command line, the engine's own source"),
}


# Issue 16: the public checks word a fix as a hint (what is wrong, which rule to revisit), not
# as the finished formula; hidden grading keeps the recorded fix ([feedback] hidden = "fix").
# (mistake id, recorded public fix) -> the hint said now; applied to public findings only.
INTENDED_PUBLIC_FIXES = {
    ('activation_for_preactivation', 'compute s = sigmoid(Z) first, then return s * (1 - s)'):
        'Z is the pre-activation, not sigmoid(Z): compute the sigmoid of Z first and write the derivative through it',
    ('activation_for_preactivation', 'd_sigmoid(Z) = s * (1 - s) with s = sigmoid(Z), applied once'):
        'apply the sigmoid once: Z is the pre-activation, and the derivative is written through sigmoid(Z)',
    ('activation_for_preactivation', 'use d_sigmoid(Z1) = s * (1 - s) with s = sigmoid(Z1)'):
        'Z1 is the pre-activation, not sigmoid(Z1): evaluate the derivative with your d_sigmoid, which takes Z',
    ('bias_keepdims', 'sum with keepdims: np.sum(dZ, axis=0, keepdims=True)'):
        "keep the bias gradient's row shape (1, n): the reduction needs keepdims=True",
    ('bias_not_summed', 'sum over the rows: np.sum(dZ, axis=0, keepdims=True)'):
        "one bias entry is added to every example, so its gradient collects all N examples' contributions: revisit the chain rule for a parameter shared by the rows; the result has shape (1, n)",
    ('elementwise_for_matmul', 'use `@` (matrix product) here. X is (N, D) and dZ1 is (N, H): the (D, H) gradient is X.T @ dZ1'):
        'use `@` (matrix product) here. X is (N, D), dZ1 is (N, H) and the gradient is (D, H): the same rule as dJ_dW2, one layer down',
    ('elementwise_for_matmul', 'use `@` (matrix product) here. X2 is (N, H) and dZ2 is (N, C): the (H, C) gradient is X2.T @ dZ2'):
        'use `@` (matrix product) here. X2 is (N, H), dZ2 is (N, C) and the gradient is (H, C): write dJ/dW2[i, j] as a sum over the examples n, then as one matrix product whose shapes line up',
    ('elementwise_for_matmul', "use `@` (matrix product) here. dW_l = A_{l-1}.T @ dZ_l and dZ_{l-1} = (dZ_l @ W_l.T) * sigmoid'(Z_{l-1})"):
        "use `@` (matrix product) here. each dW_l has W_l's shape (n_in, n_out) and the error passed down has the shape (N, n_in) of the layer's input: the same steps as dJ_dW2, dJ_dX2 and dJ_dZ1, layer by layer",
    ('elementwise_for_matmul', 'use `@` (matrix product) here. dZ2 is (N, C) and W2 is (H, C): the (N, H) gradient is dZ2 @ W2.T'):
        'use `@` (matrix product) here. dZ2 is (N, C), W2 is (H, C) and the gradient is (N, H): write dJ/dX2[n, i] as a sum over the classes j, then as one matrix product whose shapes line up',
    ('jacobian_diagonal_only', 'every output depends on every logit: J = np.diag(s) - np.outer(s, s)'):
        'every output s_i depends on every logit z_j: work out d s_i / d z_j for i != j too (the quotient rule on exp(z_i) / sum_k exp(z_k))',
    ('missing_derivative_factor', "multiply by the sigmoid's derivative at Z1: dX2 * d_sigmoid(Z1)"):
        "Z1 passes through the sigmoid on its way to X2: the chain rule needs the sigmoid's derivative at Z1 (your d_sigmoid)",
    ('missing_mean', 'J is a mean over the N rows: the 1/N belongs in dZ = (Y_hat - Y) / N, exactly once'):
        "J is a mean over the N rows: its 1/N enters the backward pass exactly once, in the output layer's error; revisit where that factor goes",
    ('missing_mean', 'divide by N: dJ/dZ2 = (Y_hat - Y) / N, where N = Y.shape[0]'):
        "the result is N times too large: J averages the N rows' losses, so every row's error carries the mean's 1/N (N = Y.shape[0])",
    ('sign_flipped', 'check the order of a subtraction (Y_hat - Y, not Y - Y_hat) and the minus sign of the loss'):
        'the sign is opposite: revisit the order of the subtraction in the output error and the minus sign of the loss',
    ('sign_flipped', 'dJ/dZ2 = (Y_hat - Y) / N'):
        "the sign is opposite: revisit the derivative of the loss's -log through the softmax, and which way round its subtraction goes",
    ('sum_vs_mean', 'sum over the rows (np.sum(dZ, axis=0, keepdims=True)); dZ already carries the 1/N'):
        'the result is N times too small: dZ already carries the 1/N of the mean, so nothing divides again; revisit how a bias shared by every row collects their gradients',
    ('transposed', 'check which operand takes .T. X is (N, D) and dZ1 is (N, H): the (D, H) gradient is X.T @ dZ1'):
        'check which operand takes .T. X is (N, D), dZ1 is (N, H) and the gradient is (D, H): the same rule as dJ_dW2, one layer down',
    ('transposed', 'check which operand takes .T. X2 is (N, H) and dZ2 is (N, C): the (H, C) gradient is X2.T @ dZ2'):
        'check which operand takes .T. X2 is (N, H), dZ2 is (N, C) and the gradient is (H, C): write dJ/dW2[i, j] as a sum over the examples n, then as one matrix product whose shapes line up',
    ('transposed', 'check which operand takes .T. dW2 = X2.T @ dZ2 (H, C), dX2 = dZ2 @ W2.T (N, H), dW1 = X.T @ dZ1 (D, H)'):
        "check which operand takes .T. each weight gradient has its weight's shape (dW2: (H, C), dW1: (D, H)) and dX2 is (N, H): build each product from the shapes, as in dJ_dW2, dJ_dX2 and dJ_dW1",
    ('transposed', "check which operand takes .T. dW_l = A_{l-1}.T @ dZ_l and dZ_{l-1} = (dZ_l @ W_l.T) * sigmoid'(Z_{l-1})"):
        "check which operand takes .T. each dW_l has W_l's shape (n_in, n_out) and the error passed down has the shape (N, n_in) of the layer's input: the same steps as dJ_dW2, dJ_dX2 and dJ_dZ1, layer by layer",
    ('transposed', 'check which operand takes .T. dZ2 is (N, C) and W2 is (H, C): the (N, H) gradient is dZ2 @ W2.T'):
        'check which operand takes .T. dZ2 is (N, C), W2 is (H, C) and the gradient is (N, H): write dJ/dX2[n, i] as a sum over the classes j, then as one matrix product whose shapes line up',
    ('wrong_axis', 'keep one row per example: dJ/dZ2 = (Y_hat - Y) / N has shape (N, C); the mean over the batch is the division by N, not a mean over axis 0'):
        'keep one row per example: the result has shape (N, C); the mean over the batch shows up as a factor 1/N, not as a mean over axis 0',
    ('wrong_operand_order', 'line up the shapes so the inner sizes match. X is (N, D) and dZ1 is (N, H): the (D, H) gradient is X.T @ dZ1'):
        'line up the shapes so the inner sizes match. X is (N, D), dZ1 is (N, H) and the gradient is (D, H): the same rule as dJ_dW2, one layer down',
    ('wrong_operand_order', 'line up the shapes so the inner sizes match. X2 is (N, H) and dZ2 is (N, C): the (H, C) gradient is X2.T @ dZ2'):
        'line up the shapes so the inner sizes match. X2 is (N, H), dZ2 is (N, C) and the gradient is (H, C): write dJ/dW2[i, j] as a sum over the examples n, then as one matrix product whose shapes line up',
    ('wrong_operand_order', 'line up the shapes so the inner sizes match. dZ2 is (N, C) and W2 is (H, C): the (N, H) gradient is dZ2 @ W2.T'):
        'line up the shapes so the inner sizes match. dZ2 is (N, C), W2 is (H, C) and the gradient is (N, H): write dJ/dX2[n, i] as a sum over the classes j, then as one matrix product whose shapes line up',
    ('wrong_upstream_gradient', 'the chain rule for W1 needs dZ1: dW1 = X.T @ dJ_dZ1, with dZ1 = dJ_dZ1(dJ_dX2(dZ2, W2), Z1)'):
        'W1 acts on the hidden layer: its gradient needs the error at Z1, passed down from dZ2 through W2 and the sigmoid, not dZ2 itself',
}
# mistake id -> (recorded explanation, the public one now): explanations that stated a formula,
# replaced inside the public findings' messages of that mistake only.
INTENDED_PUBLIC_EXPLANATIONS = {
    'jacobian_diagonal_only': (
        'only the diagonal s_i(1 - s_i) is filled in; the off-diagonal entries -s_i s_j are missing',
        'only the diagonal is filled in; the off-diagonal entries (i != j) are missing, though every s_i depends on every z_j',
    ),
}


def _public_wording(recorded):
    """The recorded public results with the intended hints in place of the recorded fixes."""
    functions = {}
    for name, function in recorded.get("functions", {}).items():
        findings = []
        for check, case, message, mistake, fix in function.get("findings", []):
            fix = INTENDED_PUBLIC_FIXES.get((mistake, fix), fix)
            if mistake in INTENDED_PUBLIC_EXPLANATIONS:
                message = message.replace(*INTENDED_PUBLIC_EXPLANATIONS[mistake])
            findings.append([check, case, message, mistake, fix])
        functions[name] = {**function, "findings": findings}
    return {**recorded, "functions": functions}


def comparable(key, recorded, now):
    """(recorded, now) reduced to the fields UNSTABLE compares for ``key`` ("hidden/<key>"),
    public results read with the intended hints (INTENDED_PUBLIC_FIXES)."""
    if key.startswith("public/"):
        recorded = _public_wording(recorded)
    fields = UNSTABLE.get(key.split("/", 1)[1], (None,))[0]
    if fields is None:
        return recorded, now
    return {f: recorded[f] for f in fields}, {f: now[f] for f in fields}


# --- the adapter: the pre-issue-15 engine and the factory -------------------------------------


def open_graders(root=ROOT, homework="backprop", limits=None):
    """(hidden grader, public grader) for ``homework`` of the course at ``root``."""
    limits = dict(LIMITS if limits is None else limits)
    try:
        from autograder.factory import make_grader
    except ImportError:
        make_grader = None
    if make_grader is not None:
        hidden = make_grader(root, homework, limits=limits, mode="hidden")
        public = make_grader(root, homework, limits=limits, mode="public")
        return hidden, public
    from autograder.config import load_config, public_config
    from autograder.course import Course
    from autograder.grader import Grader
    from autograder.reference import load_reference

    course = Course(root)
    hidden = Grader(load_config(course.grading_config).with_limits(**limits), load_reference(course), hide=[course.root])
    public = Grader(public_config().with_limits(**limits))
    return hidden, public


def plan_of(grader):
    return grader.plan  # a property of the Grader before and after issue 15


def grade(grader, path):
    return grader.grade(path)  # (grade_one would close the grader)


# --- canonical forms ---------------------------------------------------------------------------


def _feed(h, value):
    """Hash ``value`` into ``h``: arrays by dtype, shape and C-order bytes; sequences (list or
    tuple alike), mappings (sorted keys), numbers (float and int, numpy or not), text."""
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        h.update(f"array {array.dtype.str} {array.shape}|".encode())
        if array.dtype.hasobject:
            for item in array.ravel():
                _feed(h, item)
        else:
            h.update(array.tobytes())
    elif isinstance(value, dict):
        h.update(f"dict {len(value)}|".encode())
        for key in sorted(value, key=str):
            _feed(h, str(key))
            _feed(h, value[key])
    elif isinstance(value, (list, tuple)):
        h.update(f"seq {len(value)}|".encode())
        for item in value:
            _feed(h, item)
    elif isinstance(value, (bool, np.bool_)):
        h.update(f"bool {bool(value)}|".encode())
    elif isinstance(value, (int, np.integer)):
        h.update(f"int {int(value)}|".encode())
    elif isinstance(value, (float, np.floating)):
        h.update(f"float {float(value)!r}|".encode())
    elif isinstance(value, str):
        h.update(f"str {len(value)}|{value}".encode())
    elif value is None:
        h.update(b"None|")
    elif hasattr(value, "__dataclass_fields__"):
        _feed(h, {name: getattr(value, name) for name in value.__dataclass_fields__})
    else:
        h.update(f"{type(value).__name__} {value!r}|".encode())


def sha(value):
    h = hashlib.sha256()
    _feed(h, value)
    return h.hexdigest()[:16]


def _names(items):
    return [getattr(item, "name", item) for item in items or ()]


def _patch(patch):
    """gradient_check's patch as {function: kind}: a list of {"name", "kind"} before issue 15,
    a mapping after."""
    if not patch:
        return None
    if isinstance(patch, dict):
        return {str(k): PATCH_KINDS.get(v, v) for k, v in sorted(patch.items())}
    return {p["name"]: PATCH_KINDS.get(p["kind"], p["kind"]) for p in sorted(patch, key=lambda p: p["name"])}


def _oracle(oracle):
    if oracle is None:
        return None
    fields = getattr(oracle, "__dataclass_fields__", None) or vars(oracle)
    return {"type": type(oracle).__name__, **{name: sha(getattr(oracle, name)) for name in sorted(fields)}}


def _probes(case):
    out = {}
    for path in sorted(case.fd):
        p = case.probes(path)
        out[path] = {
            "numeric": sha(np.asarray(p.numeric, dtype=np.float64)),
            "directions": sha([tuple(int(i) for i in d) if isinstance(d, tuple) else d for d in p.directions]),
            "shape": list(p.shape), "exact": bool(p.exact), "seed": p.seed,
        }  # fmt: skip
    return out


def digest_case(case):
    expected = getattr(case, "expected", None)
    return {
        "function": case.function,
        "label": case.label,
        "dims": {k: int(v) for k, v in sorted((case.dims or {}).items())},
        "args": [sha(a) for a in case.args],
        "expected": sha(expected),
        "probes": _probes(case),
        "properties": sorted(_names(case.properties)),
        "patch": _patch(case.patch),
        "oracle": _oracle(case.oracle),
    }


def plan_digest(plan):
    return {function: [digest_case(c) for c in cases] for function, cases in plan.items()}


def _scrub(text, replacements):
    if not isinstance(text, str):
        return text
    for old, new in replacements:
        text = text.replace(old, new)
    return text


def _scrub_all(value, replacements):
    if isinstance(value, str):
        return _scrub(value, replacements)
    if isinstance(value, list):
        return [_scrub_all(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_all(v, replacements) for k, v in value.items()}
    return value


def canonical_results(results, folder):
    """The fields of a Results the golden record keeps, with paths replaced by placeholders."""
    replacements = [(str(folder), "<submission>"), (str(ROOT), "<root>")]
    functions = {}
    for f in results.functions:
        functions[f.name] = _scrub_all(
            {
                "score": f.score, "max_score": f.max_score,
                "checks": [[c.name, c.passed, c.total, c.weight] for c in f.checks],
                "mistakes": list(f.mistakes),
                "findings": [[x.check, x.case, x.message, x.mistake, x.fix] for x in f.findings],
                "warnings": list(f.warnings), "output": f.output,
            },  # fmt: skip
            replacements,
        )
    return {
        "score": results.score,
        "max_score": results.max_score,
        "fatal": _scrub(results.fatal, replacements),
        "load": _scrub_all(results.load, replacements),
        "functions": functions,
    }


# --- the submissions (recorded once, from the tools of the recording tree) ---------------------


def submissions_path(homework):
    return GOLDEN / f"{homework}-submissions.json.xz"


def build_submissions(root=ROOT):
    """[(key, file name, text)] from the tools of this tree (used when recording)."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from tools import adversarial, classgen
    from tools.mutants import MUTANTS, apply

    from autograder.sandbox import isolation_mode

    course_files = _course_files(root)
    reference = course_files["reference"].read_text()
    stubs = course_files["stub"].read_text()
    out = [("reference", "backprop.py", reference), ("stubs", "backprop.py", stubs)]
    for m in MUTANTS:
        out.append((f"mutant:{m.id}", "backprop.py", apply(reference, [m])))
    mode = isolation_mode()
    for attack in adversarial.ATTACKS:
        if attack.slow or mode not in attack.modes:
            continue
        text, suffix = attack.build(reference)
        out.append((f"adversarial:{attack.id}", f"backprop{suffix}", text))
    stub_sources = classgen.stub_sources()
    for spec in classgen.plan_class(CLASS_SIZE, CLASS_SEED):
        text = classgen.source_of(spec, reference, stub_sources)
        if spec.suffix == ".ipynb" and not spec.broken and not spec.attacks:
            text = classgen.to_notebook(text)
        out.append((f"class:{spec.name}", f"backprop{spec.suffix}", text))
    return out


def _course_files(root):
    new = {"reference": root / "solutions" / "backprop" / "backprop.py", "stub": root / "assignment" / "backprop" / "backprop.py"}
    old = {"reference": root / "solutions" / "backprop.py", "stub": root / "assignment" / "backprop.py"}
    return new if new["reference"].is_file() else old


def save_submissions(homework, items):
    GOLDEN.mkdir(parents=True, exist_ok=True)
    data = json.dumps([list(item) for item in items]).encode()
    submissions_path(homework).write_bytes(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))


def load_submissions(homework):
    return [tuple(item) for item in json.loads(lzma.decompress(submissions_path(homework).read_bytes()))]


# --- recording and comparing ---------------------------------------------------------------------


def grade_all(graders, items, only=None, progress=None):
    """{"hidden/<key>": canonical results, "public/<key>": ...} for every submission."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        for index, (key, filename, text) in enumerate(items):
            for mode, grader in zip(("hidden", "public"), graders):
                name = f"{mode}/{key}"
                if only is not None and not any(name.startswith(o) for o in only):
                    continue
                folder = Path(tmp) / f"s{index}-{mode}"
                folder.mkdir()
                path = folder / filename
                path.write_text(text)
                out[name] = canonical_results(grade(grader, path), folder)
                if progress:
                    progress(name, out[name])
    return out


def record(homework="backprop", out=None, root=ROOT):
    items = build_submissions(root)
    save_submissions(homework, items)
    graders = open_graders(root, homework)
    try:
        golden = {
            "homework": homework,
            "limits": LIMITS,
            "plans": {"hidden": plan_digest(plan_of(graders[0])), "public": plan_digest(plan_of(graders[1]))},
            "results": grade_all(graders, items, progress=lambda name, r: print(f"{r['score']:7.2f} {name}", flush=True)),
        }
    finally:
        for g in graders:
            g.close()
    out = Path(out or golden_path(homework))
    out.write_bytes(lzma.compress((json.dumps(golden, indent=1, sort_keys=True) + "\n").encode(), preset=9))
    return out


def golden_path(homework):
    return GOLDEN / f"{homework}.json.xz"


def load_golden(homework="backprop"):
    return json.loads(lzma.decompress(golden_path(homework).read_bytes()))


def first_difference(old, new, where=""):
    """The first path at which two JSON values differ, with both values, or None."""
    if type(old) is not type(new) and not (isinstance(old, (int, float)) and isinstance(new, (int, float))):
        return where, old, new
    if isinstance(old, dict):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in old or key not in new:
                return f"{where}/{key}", old.get(key, "<missing>"), new.get(key, "<missing>")
            found = first_difference(old[key], new[key], f"{where}/{key}")
            if found:
                return found
        return None
    if isinstance(old, list):
        for i, (a, b) in enumerate(zip(old, new)):
            found = first_difference(a, b, f"{where}[{i}]")
            if found:
                return found
        if len(old) != len(new):
            return f"{where}[len]", len(old), len(new)
        return None
    return None if old == new else (where, old, new)


def function_differences(old, new, intended=()):
    """[(function or field, path, old, new)]: the first difference per function of one
    submission's results (and of each field outside the functions). ``intended``: pairs
    (old text, new text) of accepted wording changes, applied to ``old`` first."""
    old = _scrub_all(old, intended)
    out = []
    for field in ("score", "max_score", "fatal", "load"):
        found = first_difference(old.get(field), new.get(field), field)
        if found:
            out.append((field, *found))
    names = list(old.get("functions", {})) + [n for n in new.get("functions", {}) if n not in old.get("functions", {})]
    for name in names:
        found = first_difference(old["functions"].get(name), new["functions"].get(name), f"functions/{name}")
        if found:
            out.append((name, *found))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("record", "compare", "show"))
    parser.add_argument("keys", nargs="*", help="show: results keys (hidden/<key>, public/<key>) or plan/<mode>/<function>")
    parser.add_argument("--homework", default="backprop")
    parser.add_argument("--out")
    parser.add_argument("--only", action="append", help="compare only results whose key starts with this (hidden/mutant:, public/class:)")
    args = parser.parse_args(argv)
    if args.command == "record":
        print(record(args.homework, args.out))
        return 0
    golden = load_golden(args.homework)
    if args.command == "show":
        for key in args.keys:
            if key.startswith("plan/"):
                _, mode, function = key.split("/", 2)
                value = golden["plans"][mode][function]
            else:
                value = golden["results"][key]
            print(json.dumps({key: value}, indent=1))
        return 0
    graders = open_graders(ROOT, args.homework)
    problems = 0
    try:
        for mode, grader in zip(("hidden", "public"), graders):
            if args.only and not any(o.startswith("plan") for o in args.only):
                continue
            found = first_difference(golden["plans"][mode], plan_digest(plan_of(grader)), f"plan/{mode}")
            if found:
                problems += 1
                print(f"PLAN {found[0]}\n  golden: {found[1]}\n  now:    {found[2]}")
        items = load_submissions(args.homework)
        count = [0, 0]

        def report(name, new):
            nonlocal problems
            count[0] += 1
            differences = function_differences(*comparable(name, golden["results"][name], new), INTENDED_TEXT_CHANGES)
            count[1] += bool(differences)
            for function, path, old, value in differences:
                problems += 1
                print(f"{name} {function}: {path}\n  golden: {old!r}\n  now:    {value!r}", flush=True)
            print(f"[{count[0]} graded, {count[1]} different] {name}", file=sys.stderr, flush=True)

        grade_all(graders, items, only=args.only, progress=report)
    finally:
        for g in graders:
            g.close()
    print(f"{problems} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
