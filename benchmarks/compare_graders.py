"""Our grader against otter-grader and nbgrader on the same submissions, in one run.

    .venv/bin/python benchmarks/compare_graders.py [--runs 5] [--feedback docs/feedback-comparison.md]

1. Per-submission time: the reference, the release stubs and three broken variants, graded by
   `autograder grade` (.py and .ipynb), `otter run` on our otter export and `nbgrader
   autograde` on our nbgrader export. Median and spread of --runs runs, peak memory of the
   whole process tree, and each tool's ratio to ours.
2. Where our time goes, measured inside one `autograder grade` run (cold and warm plan cache).
3. Finite differences at MNIST size for dJ_dW1 (156,800 entries): loss evaluations, seconds
   and the error each method reports for a gradient with one entry in 10,000 wrong.
4. The feedback each tool shows for the three broken variants, written side by side to
   --feedback.
5. A fair anchor (first, and alone with --anchor-only): otter and nbgrader with the assert
   tests an instructor would write (CONVENTIONAL), cold and warm, next to ours cold and warm.
"""

import argparse
import html
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchmarks.measure import run  # noqa: E402

BROKEN = {
    "dJ_dW2-transposed": "def dJ_dW2(X2, dZ2):\n    return dZ2.T @ X2\n",
    "softmax-no-max-shift": "def softmax(Z):\n    exps = np.exp(Z)\n    return exps / exps.sum(axis=1, keepdims=True)\n",
    "dJ_db1-not-summed": "def dJ_db1(dZ1):\n    return dZ1\n",
}


def tool_env():
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def submissions(tmp, student_notebooks):
    """name -> {"py": path, "ipynb": path, "otter": path, "nbgrader": path}."""
    import jupytext
    import nbformat
    from conftest import fill_notebook, replace_function

    reference = (ROOT / "solutions" / "backprop" / "backprop.py").read_text()
    variants = {"reference": reference, "stubs": (ROOT / "assignment" / "backprop" / "backprop.py").read_text()}
    for name, body in BROKEN.items():
        function = name.split("-")[0]
        variants[name] = replace_function(reference, function, body)
    out = {}
    for name, source in variants.items():
        folder = Path(tmp) / "subs" / name
        folder.mkdir(parents=True)
        paths = {"py": folder / "backprop.py", "ipynb": folder / "backprop.ipynb"}
        paths["py"].write_text(source)
        nbformat.write(jupytext.reads(source, fmt="py:percent"), paths["ipynb"])
        for tool, student in student_notebooks.items():
            replace = {} if name == "reference" else None
            if name == "stubs":
                shutil.copyfile(student, folder / f"{tool}.ipynb")
            else:
                function = name.split("-")[0] if name in BROKEN else None
                replace = {function: BROKEN[name]} if function else {}
                fill_notebook(student, folder / f"{tool}.ipynb", replace)
            paths[tool] = folder / f"{tool}.ipynb"
        out[name] = paths
    return out


def prepare_otter(tmp):
    from autograder.course import Course
    from autograder.integrations.otter import export

    folder = Path(tmp) / "otter"
    master = export(Course(ROOT), "backprop", folder)
    subprocess.run(["otter", "assign", master.name, "dist"], cwd=folder, env=tool_env(), check=True, capture_output=True)
    zip_path = next((folder / "dist" / "autograder").glob("backprop-autograder_*.zip"))
    return zip_path, folder / "dist" / "student" / "backprop.ipynb"


def prepare_nbgrader(tmp):
    from autograder.course import Course
    from autograder.integrations.nbgrader import export

    folder = export(Course(ROOT), "backprop", Path(tmp) / "nbgrader")
    subprocess.run(["nbgrader", "generate_assignment", "backprop", "--force"], cwd=folder, env=tool_env(), check=True, capture_output=True)
    return folder, folder / "release" / "backprop" / "backprop.ipynb"


def time_ours(path):
    wall, peak, stdout, _ = run([sys.executable, "-m", "autograder", "grade", str(path), "--assignment", "backprop", "--format", "text"], cwd=ROOT)
    return wall, peak, stdout


def time_otter(zip_path, notebook, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    wall, peak, stdout, _ = run(["otter", "run", "--no-logo", "-a", str(zip_path), "-o", str(out_dir), str(notebook)], env=tool_env())
    return wall, peak, json.loads((out_dir / "results.json").read_text())


def time_nbgrader(course_dir, notebook, student):
    target = course_dir / "submitted" / student / "backprop" / "backprop.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, target)
    wall, peak, _, _ = run(["nbgrader", "autograde", "backprop", "--student", student, "--force"], cwd=course_dir, env=tool_env())
    return wall, peak


def per_submission(subs, otter_zip, nbgrader_dir, runs, tmp):
    rows = []
    texts = {}
    for name, paths in subs.items():
        measured = {}
        for label, action in (
            ("ours .py", lambda: time_ours(paths["py"])),
            ("ours .ipynb", lambda: time_ours(paths["ipynb"])),
            ("otter run", lambda: time_otter(otter_zip, paths["otter"], Path(tmp) / "otter-out" / name)),
            ("nbgrader autograde", lambda: time_nbgrader(nbgrader_dir, paths["nbgrader"], re.sub(r"\W", "_", name))),
        ):
            action()  # warm caches (plan cache, page cache)
            walls, peaks = [], []
            for _ in range(runs):
                result = action()
                walls.append(result[0])
                peaks.append(result[1])
                if label == "ours .py":
                    texts.setdefault(name, {})["ours"] = result[2]
                if label == "otter run":
                    texts.setdefault(name, {})["otter"] = result[2]
            measured[label] = (statistics.median(walls), min(walls), max(walls), max(peaks))
        rows.append((name, measured))
    return rows, texts


def print_times(rows):
    print("## Per submission: wall seconds (median, min-max of the runs), peak RSS of the process tree, ratio to ours\n")
    print("| submission | ours .py | ours .ipynb | otter run | nbgrader autograde | otter / ours .ipynb | nbgrader / ours .ipynb |")
    print("|---|---|---|---|---|---|---|")
    for name, m in rows:
        cells = [f"{m[k][0]:.2f} ({m[k][1]:.2f}-{m[k][2]:.2f}), {m[k][3]:.0f} MB" for k in ("ours .py", "ours .ipynb", "otter run", "nbgrader autograde")]
        ratio_otter = m["otter run"][0] / m["ours .ipynb"][0]
        ratio_nbgrader = m["nbgrader autograde"][0] / m["ours .ipynb"][0]
        print(f"| {name} | {' | '.join(cells)} | {ratio_otter:.1f}x | {ratio_nbgrader:.1f}x |")
    print()


def where_time_goes():
    """Timeline of one grading, measured inside the process (see benchmarks/timeline.py)."""
    print("## Where our time goes (one `autograder grade` of the reference .py)\n")
    for label, clear in (("cold plan cache", True), ("warm plan cache", False)):
        if clear:
            from autograder.plancache import cache_dir

            shutil.rmtree(cache_dir(), ignore_errors=True)
        result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "timeline.py"), str(ROOT / "solutions" / "backprop" / "backprop.py")], capture_output=True, text=True, check=True)
        print(f"### {label}\n\n```\n{result.stdout.rstrip()}\n```\n")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import numpy"], check=True)
    print(f"For scale: `python -c pass` {bare:.3f} s, `python -c 'import numpy'` {time.perf_counter() - started:.3f} s.\n")


def finite_differences():
    import numpy as np

    from autograder import gradcheck as gc
    from autograder.spec import load_homework

    load_homework(ROOT / "solutions" / "backprop")
    hw = sys.modules["_hw_backprop.spec"]  # the homework's forward definitions (logistic, softmax, ...)
    make_point = hw.make_point

    print("## Finite differences at MNIST size: dJ_dW1 (784 x 200 = 156,800 entries)\n")
    p = make_point("MNIST", 11, (16, 784, 200, 10), mnist_like=True)
    XW = p.X @ p.W1

    def loss(W):
        return hw.mean_cross_entropy(hw.logistic(p.X @ W + p.b1) @ p.W2 + p.b2, p.Y)

    # the true gradient, from the chain rule in float64 (checked against the differences below)
    Z1 = XW + p.b1
    X2 = hw.logistic(Z1)
    dZ2 = (hw.softmax(X2 @ p.W2 + p.b2) - p.Y) / p.Y.shape[0]
    grad = p.X.T @ ((dZ2 @ p.W2.T) * X2 * (1 - X2))
    bad = grad.copy()
    rng = np.random.default_rng(0)
    wrong = rng.choice(bad.size, size=bad.size // 10_000, replace=False)
    flat = bad.ravel()
    flat[wrong] += 0.5 * np.abs(flat).max()  # one entry in 10,000 off by half the largest entry
    W = p.W1.copy()
    rows = []
    # exact: one pair of evaluations per entry; timed on 2,000 entries and scaled up
    sample = rng.choice(W.size, size=2000, replace=False)
    started = time.perf_counter()
    numeric = []
    for flat_index in sample:
        index = np.unravel_index(flat_index, W.shape)
        saved = W[index]
        W[index] = saved + gc.EPS
        plus = loss(W)
        W[index] = saved - gc.EPS
        minus = loss(W)
        W[index] = saved
        numeric.append((plus - minus) / (2 * gc.EPS))
    per_entry = (time.perf_counter() - started) / len(sample)
    exact_error = gc.relative_error(np.array(numeric), grad.ravel()[sample])
    rows.append(("exact (every entry)", 2 * W.size, per_entry * W.size, "extrapolated from 2,000 entries", f"{gc.relative_error(grad, bad):.1e} (it sees every entry)", f"{exact_error:.1e}"))
    for label, directions, entries in (("3 random directions", 3, 0), ("12 random entries", 0, 12), ("both (what we run)", 3, 12)):
        started = time.perf_counter()
        probes = gc.probe(lambda: loss(W), W, seed=5, exact_limit=0, directions=directions, entries=entries)
        seconds = time.perf_counter() - started
        rows.append((label, probes.evaluations, seconds, "measured", f"{gc.compare(probes, bad):.1e}", f"{gc.compare(probes, grad):.1e}"))
    value_error = gc.relative_error(bad, grad)
    print("| method | loss evaluations | seconds | how | relative error reported for the 1-in-10,000 bug | for the correct gradient |")
    print("|---|---|---|---|---|---|")
    for label, evaluations, seconds, how, on_bad, on_good in rows:
        print(f"| {label} | {evaluations:,} | {seconds:.3f} | {how} | {on_bad} | {on_good} |")
    print(f"| comparison with the reference (hidden tests) | 0 | - | - | {value_error:.1e} | 0 |")
    print(
        "\nThe tolerance is 1e-6. Random directions catch the 16 wrong entries because every entry "
        "takes part in every direction; 12 sampled entries almost always miss them "
        f"(chance of hitting one: {1 - (1 - len(wrong) / W.size) ** 12:.2%}). The hidden tests also compare "
        "every entry with the reference, which catches it whatever the differences do.\n"
    )


# What an instructor typically writes without this engine: one assert per function.
CONVENTIONAL = {
    "dJ_dW2": (
        "rng = np.random.default_rng(0)\nX2, dZ2 = rng.random((7, 3)), rng.random((7, 4))\n"
        "assert np.allclose(dJ_dW2(X2, dZ2), X2.T @ dZ2)"
    ),
    "softmax": (
        "Z = np.array([[1000.0, 999.0], [0.0, 1.0]])\n"
        "assert np.allclose(softmax(Z), [[0.7310585786, 0.2689414214], [0.2689414214, 0.7310585786]])"
    ),
    "dJ_db1": (
        "dZ1 = np.random.default_rng(1).random((7, 3))\n"
        "assert np.allclose(dJ_db1(dZ1), dZ1.sum(axis=0, keepdims=True))"
    ),
}


def conventional_otter_zip(tmp):
    """An otter autograder zip with assert-style tests (CONVENTIONAL) for three functions."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_raw_cell

    from autograder.course import Course
    from autograder.integrations.cells import reference_cells

    from autograder.spec import load_homework

    reference = {c.function: c.source for c in reference_cells(Course(ROOT).homework("backprop"), load_homework(ROOT / "solutions" / "backprop")) if c.function}
    cells = [new_raw_cell("# ASSIGNMENT CONFIG\nname: backprop\nexport_cell: false\ncheck_all_cell: false\ntests:\n  ok_format: false"), new_code_cell("import numpy as np")]
    for helper in ("sigmoid", "d_sigmoid"):
        cells.append(new_code_cell(reference[helper]))
    for name, body in CONVENTIONAL.items():
        test = f"def test_{name}({name}):\n    import numpy as np\n" + "\n".join("    " + line for line in body.splitlines())
        cells += [
            new_raw_cell(f"# BEGIN QUESTION\nname: {name}\npoints: 1"), new_raw_cell("# BEGIN SOLUTION"),
            new_code_cell(reference[name]), new_raw_cell("# END SOLUTION"), new_raw_cell("# BEGIN TESTS"),
            new_code_cell(test), new_raw_cell("# END TESTS"), new_raw_cell("# END QUESTION"),
        ]  # fmt: skip
    folder = Path(tmp) / "conventional-otter"
    folder.mkdir(parents=True)
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / "conventional.ipynb")
    subprocess.run(["otter", "assign", "--no-run-tests", "conventional.ipynb", "dist"], cwd=folder, env=tool_env(), check=True, capture_output=True)
    return next((folder / "dist" / "autograder").glob("conventional-autograder_*.zip"))


def conventional_otter(tmp, notebooks):
    """otter's report for each broken notebook under assert-style tests: name -> text."""
    zip_path = conventional_otter_zip(tmp)
    folder = zip_path.parent.parent.parent
    out = {}
    for name, notebook_path in notebooks.items():
        results = time_otter(zip_path, notebook_path, folder / "out" / name)[2]
        function = name.split("-")[0]
        out[name] = next((t.get("output", "") for t in results["tests"] if t["name"] == function), "")
    return out


def conventional_nbgrader_course(tmp, template_path):
    """An nbgrader course whose test cells are the assert-style tests (CONVENTIONAL), built
    from our export's notebook ``template_path``; the release is generated."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from autograder.integrations.nbgrader import CONFIG

    folder = Path(tmp) / "conventional-nbgrader"
    source = folder / "source" / "backprop"
    source.mkdir(parents=True)
    (folder / "nbgrader_config.py").write_text(CONFIG)
    template = nbformat.read(template_path, as_version=4)
    cells = []
    for cell in template.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            function = meta["grade_id"][: -len("_test")]
            if function in CONVENTIONAL:
                cell = new_code_cell(CONVENTIONAL[function], metadata={"nbgrader": dict(meta)})
            else:
                continue
        cells.append(cell)
    source_notebook = new_notebook(cells=cells, metadata=template.metadata)
    nbformat.write(source_notebook, source / "backprop.ipynb")
    subprocess.run(["nbgrader", "generate_assignment", "backprop", "--force"], cwd=folder, env=tool_env(), check=True, capture_output=True)
    return folder


def conventional_submission(folder, notebook_path, student):
    """Submit ``notebook_path`` (our export's notebook) to the conventional course: its test
    cells other than CONVENTIONAL's are dropped."""
    import nbformat

    submitted = nbformat.read(notebook_path, as_version=4)
    kept = [c for c in submitted.cells if not c.metadata.get("nbgrader", {}).get("grade") or c.metadata["nbgrader"]["grade_id"][: -len("_test")] in CONVENTIONAL]
    submitted.cells = kept
    target = folder / "submitted" / student / "backprop" / "backprop.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(submitted, target)


def conventional_nbgrader(tmp, notebooks):
    """nbgrader's feedback for each broken notebook under assert-style test cells."""
    import nbformat

    folder = conventional_nbgrader_course(tmp, notebooks[next(iter(notebooks))])
    out = {}
    for name, notebook_path in notebooks.items():
        student = re.sub(r"\W", "_", name)
        conventional_submission(folder, notebook_path, student)
        subprocess.run(["nbgrader", "autograde", "backprop", "--student", student, "--force"], cwd=folder, env=tool_env(), check=True, capture_output=True)
        subprocess.run(["nbgrader", "generate_feedback", "backprop", "--student", student, "--force"], cwd=folder, env=tool_env(), check=True, capture_output=True)
        graded = nbformat.read(folder / "autograded" / student / "backprop" / "backprop.ipynb", as_version=4)
        function = name.split("-")[0]
        text = ""
        for cell in graded.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == f"{function}_test":
                for output in cell.get("outputs", []):
                    if output.get("output_type") == "error":
                        text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(output.get("traceback", [])))
        out[name] = text
    return out


# --- issue 14.7: a fair anchor: otter and nbgrader with the tests an instructor would write ---
ANCHOR_SUBMISSIONS = ("reference", "dJ_dW2-transposed")


def anchor(tmp, subs, runs):
    """Seconds per notebook, cold and warm, for ours, otter and nbgrader, the last two with
    the conventional assert tests (CONVENTIONAL) rather than our export. Cold is the first run
    after the course was built (ours: an empty plan cache, so the reference's values and the
    finite differences are computed); warm is the median of ``runs`` runs after it."""
    tmp = Path(tmp) / "anchor"
    otter_zip = conventional_otter_zip(tmp)
    nbgrader_dir = conventional_nbgrader_course(tmp, subs["reference"]["nbgrader"])
    rows = []
    for name in ANCHOR_SUBMISSIONS:
        paths = subs[name]
        student = re.sub(r"\W", "_", name)
        conventional_submission(nbgrader_dir, paths["nbgrader"], student)
        ours_env = dict(os.environ, XDG_CACHE_HOME=str(tmp / "plan-cache" / student))  # empty: a cold plan cache
        actions = {
            "ours .ipynb": lambda: run([sys.executable, "-m", "autograder", "grade", str(paths["ipynb"]), "--assignment", "backprop", "--format", "text"], cwd=ROOT, env=ours_env)[0],
            "otter run, asserts": lambda: time_otter(otter_zip, paths["otter"], tmp / "otter-out" / student)[0],
            "nbgrader autograde, asserts": lambda: run(
                ["nbgrader", "autograde", "backprop", "--student", student, "--force"], cwd=nbgrader_dir, env=tool_env()
            )[0],
        }
        measured = {}
        for label, action in actions.items():
            cold = action()
            warm = [action() for _ in range(runs)]
            measured[label] = (cold, statistics.median(warm), min(warm), max(warm))
        rows.append((name, measured))
    print(f"## A fair anchor: conventional assert tests in otter and nbgrader, cold and warm ({runs} warm runs)\n")
    labels = list(rows[0][1])
    print("| submission | " + " | ".join(f"{label}: cold, warm" for label in labels) + " | otter / ours (warm) | nbgrader / ours (warm) |")
    print("|---|" + "---|" * (len(labels) + 2))
    for name, m in rows:
        cells = [f"{m[k][0]:.2f}, {m[k][1]:.2f} ({m[k][2]:.2f}-{m[k][3]:.2f})" for k in labels]
        ours = m["ours .ipynb"][1]
        print(f"| {name} | {' | '.join(cells)} | {m['otter run, asserts'][1] / ours:.1f}x | {m['nbgrader autograde, asserts'][1] / ours:.1f}x |")
    print()


def feedback(texts, nbgrader_dir, path, conventional=None):
    lines = ["# The same three mistakes, as each grader reports them", ""]
    lines.append(
        "Generated by `benchmarks/compare_graders.py`. For each mistake: what our grader prints; "
        "what otter-grader and nbgrader show with conventional tests (one "
        "`assert np.allclose(student(...), expected)` per function, as instructors usually "
        "write them); and what they show running our exports, whose tests call this engine's "
        "checks, so the same diagnosis appears inside their frame."
    )
    for name in BROKEN:
        function = name.split("-")[0]
        lines += ["", f"## {name}", ""]
        ours = texts[name]["ours"]
        block = re.search(rf"^  FAIL {function} .*?(?=^  (?:ok|FAIL) )", ours, flags=re.S | re.M)
        lines += ["**ours** (`autograder grade --format text`):", "", "```", (block.group(0) if block else ours).rstrip(), "```"]
        if conventional:
            lines += ["", "**otter, conventional test** (`results.json`, the question's output):", "", "```", conventional["otter"][name].strip()[:2500], "```"]
            lines += ["", "**nbgrader, conventional test** (the test cell's error, as in the feedback):", "", "```", conventional["nbgrader"][name].strip()[:2500], "```"]
        otter_tests = {t["name"]: t for t in texts[name]["otter"]["tests"]}
        otter_text = otter_tests.get(function, {}).get("output", "(no output)")
        lines += ["", "**otter, our export** (`results.json`, the question's output):", "", "```", otter_text.strip()[:2500], "```"]
        student = re.sub(r"\W", "_", name)
        subprocess.run(["nbgrader", "generate_feedback", "backprop", "--student", student, "--force"], cwd=nbgrader_dir, env=tool_env(), check=True, capture_output=True)
        page = html.unescape((nbgrader_dir / "feedback" / student / "backprop" / "backprop.html").read_text())
        text = re.sub(r"<[^>]+>", "", page)
        found = re.search(rf"{function}: needs work.*?(?=Out\[|\Z)", text, flags=re.S)
        lines += ["", "**nbgrader, our export** (feedback HTML, the test cell's output):", "", "```", (found.group(0).strip() if found else "(not found)")[:2500], "```"]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n")
    print(f"Feedback side by side: {path}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--feedback", default=str(ROOT / "docs" / "feedback-comparison.md"))
    parser.add_argument("--feedback-only", action="store_true", help="skip the timings; write the feedback comparison only")
    parser.add_argument("--anchor-only", action="store_true", help="only the fair anchor: conventional tests in otter and nbgrader, cold and warm")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        otter_zip, otter_student = prepare_otter(tmp)
        nbgrader_dir, nbgrader_student = prepare_nbgrader(tmp)
        subs = submissions(tmp, {"otter": otter_student, "nbgrader": nbgrader_student})
        if not args.feedback_only:
            anchor(tmp, subs, args.runs)
        if args.anchor_only:
            return
        rows, texts = per_submission(subs, otter_zip, nbgrader_dir, 1 if args.feedback_only else args.runs, tmp)
        if not args.feedback_only:
            print_times(rows)
            where_time_goes()
            finite_differences()
        broken_otter = {name: subs[name]["otter"] for name in BROKEN}
        broken_nbgrader = {name: subs[name]["nbgrader"] for name in BROKEN}
        conventional = {"otter": conventional_otter(tmp, broken_otter), "nbgrader": conventional_nbgrader(tmp, broken_nbgrader)}
        feedback(texts, nbgrader_dir, args.feedback, conventional)


if __name__ == "__main__":
    main()
