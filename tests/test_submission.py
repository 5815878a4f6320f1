"""Does the grader run what an import would run (minus work no graded function needs), read
only regular files, survive any notebook JSON, and know who calls whom?"""

import functools
import json
import os
import textwrap

import nbformat
import pytest
from conftest import HOMEWORK, ROOT, replace_function

from autograder.submission import (
    MAX_NOTEBOOK_BYTES,
    SubmissionError,
    check_regular_file,
    parse_notebook,
    parse_python,
    pick_file,
    read_regular_file,
    read_submission,
)
from autograder.worker import describe_exception, student_frames


@functools.cache
def graded():
    """The names the grader calls (the backprop homework's functions): what parsing keeps
    statements for."""
    from autograder.spec import load_homework

    return load_homework(ROOT / "solutions" / HOMEWORK).names


def parse(text):
    return parse_python(textwrap.dedent(text), graded=graded())


def kept(parsed):
    return [unit.source for unit in parsed.units]


def skipped(parsed):
    return " | ".join(reason for _, reason in parsed.skipped)


def write(tmp_path, text, name="backprop.py"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- which statements run ----------------------------------------------------------------


def test_is_a_lambda_kept_whatever_its_body_calls():
    parsed = parse(
        """
        import numpy as np
        row_max = lambda Z: np.max(Z, axis=-1, keepdims=True)
        def softmax(Z):
            e = np.exp(Z - row_max(Z))
            return e / e.sum(axis=1, keepdims=True)
        """
    )
    assert "row_max = lambda Z: np.max(Z, axis=-1, keepdims=True)" in kept(parsed)
    assert parsed.skipped == []


def test_is_a_computed_constant_a_graded_function_reads_kept():
    parsed = parse(
        """
        import numpy as np
        EPS = np.finfo(np.float64).eps
        def cross_entropy(Y_hat, Y):
            return float(-np.sum(Y * np.log(Y_hat + EPS)) / Y.shape[0])
        """
    )
    assert "EPS = np.finfo(np.float64).eps" in kept(parsed)


def test_is_a_constant_read_only_through_a_helper_or_another_constant_kept():
    parsed = parse(
        """
        import numpy as np
        BASE = np.float64(2.0)
        SCALE = np.sqrt(BASE)
        UNUSED = np.ones(3).sum()
        def _scale(x):
            return x * SCALE
        def dJ_dW2(X2, dZ2):
            return _scale(X2.T @ dZ2) / SCALE
        """
    )
    assert "BASE = np.float64(2.0)" in kept(parsed) and "SCALE = np.sqrt(BASE)" in kept(parsed)
    assert "UNUSED" not in " ".join(kept(parsed))
    assert "an assignment that calls a function whose result no graded function uses: UNUSED" in skipped(parsed)


def test_is_an_import_fallback_block_kept():
    parsed = parse(
        """
        try:
            from scipy.special import expit
        except ImportError:
            def expit(z):
                return 1 / (1 + np.exp(-z))
        def sigmoid(Z):
            return expit(Z)
        """
    )
    assert kept(parsed)[0].startswith("try:\n    from scipy.special import expit")


def test_does_a_future_import_reach_every_later_statement():
    parsed = parse(
        """
        from __future__ import annotations
        import numpy as np
        def softmax(Z: Array) -> Array:
            return Z
        Array = np.ndarray
        """
    )
    assert all(unit.future == ("annotations",) for unit in parsed.units)
    assert parsed.units[0].wire()["future"] == ["annotations"]


def test_are_training_prints_plots_and_main_blocks_skipped_with_their_reason():
    parsed = parse(
        """
        import numpy as np
        def fit(X, Y, layer_sizes, learning_rate=0.1, iterations=1000, seed=1):
            params = {}
            costs = []
            return params, costs
        def plot_costs():
            plt.plot(costs)
        X_train = np.random.default_rng(0).standard_normal((100, 4))
        params, costs = fit(X_train, None, [4, 1])
        latest = costs
        for epoch in range(10 ** 9):
            pass
        print(costs[-1])
        plot_costs()
        if __name__ == "__main__":
            fit(X_train, None, [4, 1])
        """
    )
    assert kept(parsed)[0] == "import numpy as np" and len(parsed.units) == 3  # import, fit, plot_costs
    reasons = skipped(parsed)
    assert "an assignment that calls a function whose result no graded function uses: X_train" in reasons
    assert "params, costs = fit(" in reasons
    assert "an assignment that reads costs, which is not run: latest = costs" in reasons
    assert "a loop whose result no graded function uses" in reasons
    assert "an expression statement (a call, print or plot) whose result no graded function uses: print" in reasons
    assert parsed.main_blocks == 1


def test_are_a_graded_functions_local_names_never_mistaken_for_globals():
    """fit's own `params` and `costs` must not pull in the training statement that binds
    the same names at the top level."""
    parsed = parse(
        """
        def fit(X, Y, layer_sizes, learning_rate=0.1, iterations=1000, seed=1):
            params, costs = {}, []
            return params, costs
        params, costs = fit(None, None, [4, 1])
        """
    )
    assert len(parsed.units) == 1


def test_is_a_statement_that_builds_or_fills_a_needed_table_kept():
    parsed = parse(
        """
        import numpy as np
        ACTIVATIONS = dict()
        ACTIVATIONS["sigmoid"] = lambda Z: 1 / (1 + np.exp(-Z))
        ACTIVATIONS.update(identity=lambda Z: Z)
        print(ACTIVATIONS)
        def sigmoid(Z):
            return ACTIVATIONS["sigmoid"](Z)
        """
    )
    assert len(parsed.units) == 5 and "print(ACTIVATIONS)" in skipped(parsed)


def test_is_a_graded_function_made_by_a_call_kept():
    parsed = parse(
        """
        def make(scale):
            return lambda dZ2: scale * dZ2
        dJ_db2 = make(1.0)
        """
    )
    assert "dJ_db2 = make(1.0)" in kept(parsed)


def test_is_a_top_level_annotation_that_calls_something_skipped():
    parsed = parse(
        """
        import numpy as np
        shape: tuple
        weights: np.zeros(3)
        """
    )
    assert "shape: tuple" in kept(parsed)
    assert "a top-level annotation that calls something whose result no graded function uses: weights" in skipped(parsed)


def test_does_a_statement_after_a_semicolon_run_alone():
    parsed = parse(
        """
        import numpy as np
        EPS = np.finfo(np.float64).eps; print("EPS is", EPS)
        def relative_error(a, b):
            return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b) + EPS))
        """
    )
    assert "EPS = np.finfo(np.float64).eps" in kept(parsed)
    assert not any("print" in source for source in kept(parsed))
    unit = next(u for u in parsed.units if u.source.startswith("EPS"))
    assert unit.lineno == 3


@pytest.mark.parametrize(
    "statement",
    [
        "import otter",
        "import otter\ngrader = otter.Notebook('backprop.ipynb')",
        "from otter import Notebook\nnb = Notebook()\nnb.check('q1')",
        "import nbgrader",
        "from autograder import check\ncheck('backprop.ipynb')",
        "try:\n    import otter\nexcept ImportError:\n    pass",
    ],
)
def test_is_a_statement_that_only_sets_up_a_grading_tool_never_run(statement):
    parsed = parse_python("import numpy as np\n" + statement + "\ndef sigmoid(Z):\n    return 1 / (1 + np.exp(-Z))\n", graded=graded())
    assert kept(parsed) == ["import numpy as np", "def sigmoid(Z):\n    return 1 / (1 + np.exp(-Z))"]
    assert parsed.skipped and all("only sets up a grading tool" in reason for _, reason in parsed.skipped)


def test_does_the_reference_keep_every_definition_and_skip_only_its_main_blocks(reference_source):
    import ast

    body = ast.parse(reference_source).body
    guards = [n for n in body if isinstance(n, ast.If) and ast.unparse(n.test) in ("__name__ == '__main__'", '__name__ == "__main__"')]
    parsed = parse_python(reference_source, graded=graded())
    assert parsed.skipped == [] and parsed.problems == [] and parsed.main_blocks == len(guards) > 0
    assert len(parsed.units) == len(body) - len(guards)  # every other top-level statement runs


# --- the call graph ----------------------------------------------------------------------


def test_is_the_call_graph_of_the_reference_the_contracts_chain(reference_source):
    calls = parse_python(reference_source, graded=graded()).calls
    assert calls.callees("dJ_dZ1") == {"d_sigmoid"}
    assert calls.reaches("dJ_dZ1") == {"d_sigmoid", "sigmoid"}
    assert calls.callees("softmax_jacobian") == {"softmax"}
    assert calls.callees("cost_n") == {"cross_entropy"}
    assert calls.reaches("predict") == {"forward_n", "sigmoid", "softmax"}
    assert {"backprop", "numerical_gradient", "relative_error", "cross_entropy", "d_sigmoid"} <= calls.reaches("gradient_check")
    assert calls.reaches("sigmoid") == set()


def test_does_the_call_graph_agree_with_the_mutant_catalogues_callers(reference_source):
    """tools/mutants.CALLERS is checked against the reference by its own walk of calls; the
    call graph (a different derivation: names read, through helpers) must agree."""
    from tools.mutants import CALLERS

    calls = parse_python(reference_source, graded=graded()).calls
    derived = {name: frozenset(c for c in graded() if name in calls.reaches(c)) for name in graded()}
    assert {name: callers for name, callers in derived.items() if callers} == CALLERS


def test_does_the_call_graph_go_through_the_students_helpers_lambdas_and_classes():
    calls = parse(
        """
        import numpy as np
        act_prime = lambda Z: d_sigmoid(Z)
        def _local_gradient(Z):
            return act_prime(Z)
        class Layer:
            def run(self, X):
                return softmax(X)
        def dJ_dZ1(dX2, Z1):
            return dX2 * _local_gradient(Z1)
        def forward_n(X, params):
            return Layer().run(X), {}
        """
    ).calls
    assert "d_sigmoid" in calls.reaches("dJ_dZ1")
    assert calls.route("dJ_dZ1", "d_sigmoid") == ("dJ_dZ1", "_local_gradient", "act_prime", "d_sigmoid")
    assert calls.route("forward_n", "softmax") == ("forward_n", "Layer", "softmax")
    assert calls.route("forward_n", "d_sigmoid") == ()


# --- reading: regular files only, any notebook JSON ---------------------------------------


def test_is_a_symlink_to_the_reference_refused_not_graded_as_its_target(hidden_grader, hw_files, tmp_path):
    link = tmp_path / "backprop.py"
    link.symlink_to(hw_files.reference)
    with pytest.raises(SubmissionError, match="symbolic link"):
        read_submission(link)
    with pytest.raises(SubmissionError, match="symbolic link"):
        check_regular_file(link)
    results = hidden_grader.grade(link)
    assert results.score == 0 and "symbolic link" in results.fatal


def test_is_a_symlink_to_a_root_only_file_refused_without_quoting_it(hidden_grader, tmp_path):
    secret = tmp_path / "private" / "answers.py"
    secret.parent.mkdir()
    secret.write_text("SECRET_ANSWER_LINE = (\n")  # would be quoted by a parse error if read
    secret.chmod(0o600)
    link = tmp_path / "backprop.py"
    link.symlink_to(secret)
    results = hidden_grader.grade(link)
    text = json.dumps(results.to_dict())
    assert results.score == 0 and "symbolic link" in results.fatal
    assert "SECRET_ANSWER_LINE" not in text and "private" not in text


def test_is_a_folder_holding_a_symlink_refused(tmp_path, hw_files):
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "backprop.py").symlink_to(hw_files.reference)
    path, problem = pick_file(folder, HOMEWORK)
    assert path is None and "symbolic link (backprop.py)" in problem

    other = tmp_path / "other"
    (other / "inner").mkdir(parents=True)
    (other / "backprop.py").write_text("import numpy as np\n")
    (other / "inner" / "linked").symlink_to(hw_files.folder)  # a linked folder, anywhere
    path, problem = pick_file(other, HOMEWORK)
    assert path is None and "symbolic link" in problem


def test_is_a_folder_of_regular_files_still_picked(tmp_path):
    folder = tmp_path / "submission"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "backprop.ipynb").write_text("{}")
    (folder / "notes.py").write_text("")
    assert pick_file(folder, HOMEWORK) == (folder / "sub" / "backprop.ipynb", None)


def test_is_the_homeworks_file_picked_among_several_and_none_guessed_without_a_name(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    for name in ("helpers.py", "tanh_layer.ipynb", "tanh_layer.py"):
        (folder / name).write_text("")
    assert pick_file(folder, "tanh_layer") == (folder / "tanh_layer.py", None)
    path, problem = pick_file(folder, "other_homework")
    assert path is None and "none is named other_homework.py or other_homework.ipynb" in problem
    path, problem = pick_file(folder)
    assert path is None and "3 .py/.ipynb files" in problem


def test_are_a_fifo_and_a_folder_refused_without_blocking(tmp_path):
    fifo = tmp_path / "backprop.py"
    os.mkfifo(fifo)
    with pytest.raises(SubmissionError, match="not a regular file"):
        read_regular_file(fifo)
    folder = tmp_path / "x" / "backprop.py"
    folder.mkdir(parents=True)
    with pytest.raises(SubmissionError, match="folder"):
        read_submission(folder)


def test_does_the_cli_refuse_a_symlinked_submission(hw_files, tmp_path, capsys):
    from autograder.cli import main

    link = tmp_path / "backprop.py"
    link.symlink_to(hw_files.reference)
    code = main(["grade", str(link)])
    assert code == 2 and "symbolic link" in capsys.readouterr().err


def notebook_json(cells):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def code_cell(source):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}


@pytest.mark.parametrize("source, kind", [(42, "a JSON int"), (None, "null"), ([["import os"]], "a list holding"), ({"a": 1}, "a JSON dict")])
def test_is_a_cell_whose_source_is_not_text_skipped_with_a_message(source, kind):
    parsed = parse_notebook(notebook_json([code_cell(source), code_cell("import numpy as np\n"), "not a cell"]))
    assert parsed.fatal is None and [u.source for u in parsed.units] == ["import numpy as np"]
    [(where, message)] = parsed.problems
    assert where == "cell 1" and message.startswith(f"its source is {kind}") and "not text" in message


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        ('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}", "nested too deeply"),
        ("{not json", "not a valid Jupyter notebook"),
        ("[1, 2, 3]", "not a valid Jupyter notebook"),
        ('{"cells": 5}', "not a valid Jupyter notebook"),
        ('{"worksheets": []}', "not a valid Jupyter notebook"),
    ],
)
def test_is_broken_notebook_json_a_fatal_message_not_a_crash(hidden_grader, tmp_path, raw, expected):
    assert expected in parse_notebook(raw).fatal
    results = hidden_grader.grade(write(tmp_path, raw, "backprop.ipynb"))
    assert results.score == 0 and expected in results.fatal


def test_does_a_file_saved_with_a_byte_order_mark_still_parse(tmp_path):
    path = tmp_path / "backprop.py"
    path.write_bytes(b"\xef\xbb\xbfimport numpy as np\n")
    assert [u.source for u in read_submission(path).units] == ["import numpy as np"]


def test_is_a_huge_notebook_refused_with_its_size(tmp_path):
    path = tmp_path / "backprop.ipynb"
    with open(path, "w") as out:
        out.write('{"cells": [], "pad": "')
        out.write("x" * (MAX_NOTEBOOK_BYTES + 10))
        out.write('"}')
    with pytest.raises(SubmissionError, match="submissions are limited to"):
        read_submission(path)


def test_does_a_notebook_with_a_numeric_cell_still_grade_its_other_cells(hidden_grader, hw_files, tmp_path):
    import jupytext

    notebook = jupytext.read(hw_files.reference, fmt="py:percent")
    raw = json.loads(nbformat.writes(notebook))
    raw["cells"].insert(2, code_cell(12345))
    path = write(tmp_path, json.dumps(raw), "backprop.ipynb")
    results = hidden_grader.grade(path)
    assert results.score == 100 and any("cell 3: its source is a JSON int" in p for p in results.load["problems"])


# --- errors in lambdas and comprehensions name the student's function -----------------------


def _raise_in(source, call):
    namespace = {}
    exec(compile(source, "student.py", "exec"), namespace)
    try:
        eval(call, namespace)
    except Exception as err:  # noqa: BLE001
        lines = source.splitlines()
        return describe_exception(err, lambda f: f == "student.py", lambda f, n: lines[n - 1], called=call.split("(")[0])
    raise AssertionError("did not raise")


@pytest.mark.parametrize(
    "source",
    [
        "pick = lambda A: A[99]\ndef dJ_db1(dZ1):\n    return pick(dZ1)\n",
        "def dJ_db1(dZ1):\n    return [dZ1[i] for i in range(99)]\n",
        "def dJ_db1(dZ1):\n    return sum(dZ1[i] for i in range(99))\n",
        "def dJ_db1(dZ1):\n    return {i: dZ1[i] for i in range(99)}\n",
        "dJ_db1 = lambda dZ1: dZ1[99]\n",
    ],
)
def test_is_an_error_in_a_lambda_or_comprehension_put_in_the_function_the_student_wrote(source):
    described = _raise_in(source, "dJ_db1([1, 2])")
    assert described["type"] == "IndexError"
    assert described["where"]["function"] == "dJ_db1"
    assert described["where"]["text"] in source and "[" in described["where"]["text"]  # the line that raised


def test_does_a_traceback_keep_only_student_frames():
    source = "def outer():\n    return [inner() for _ in range(1)]\ndef inner():\n    raise ValueError('x')\n"
    namespace = {}
    exec(compile(source, "student.py", "exec"), namespace)
    with pytest.raises(ValueError) as info:
        namespace["outer"]()
    frames = student_frames(info.value.__traceback__, lambda f: f == "student.py")
    assert [name for _, _, name in frames] == ["outer", "<listcomp>", "inner"]
    assert describe_exception(info.value, lambda f: f == "student.py", lambda f, n: "")["where"]["function"] == "inner"


def test_does_a_lambda_error_in_grading_name_the_function_not_the_lambda(hidden_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "dJ_db1", "def dJ_db1(dZ1):\n    return _column_sums(dZ1)\n")
    source = source.replace("import numpy as np\n", "import numpy as np\n_column_sums = lambda A: A[:, 10**6]\n", 1)
    results = hidden_grader.grade(write(tmp_path, source))
    message = results.function("dJ_db1").findings[0].message
    assert "IndexError" in message and "in dJ_db1" in message and "<lambda>" not in message
    assert not message.endswith("graded on its own too")


# --- bugs cost points where they live, and the caller is told ------------------------------


BROKEN_D_SIGMOID = "def d_sigmoid(Z):\n    s = sigmoid(Z)\n    return s * (1.0 + s)\n"


def test_is_a_caller_of_a_broken_helper_told_to_fix_the_helper_first(hidden_grader, reference_source, tmp_path):
    results = hidden_grader.grade(write(tmp_path, replace_function(reference_source, "d_sigmoid", BROKEN_D_SIGMOID)))
    assert results.function("d_sigmoid").score < results.function("d_sigmoid").max_score
    messages = [f.message for f in results.function("dJ_dZ1").findings]
    assert "dJ_dZ1 calls your d_sigmoid, which fails its own checks: fix it first" in messages
    assert not any(f.check == "calls" for f in results.function("sigmoid").findings)


def test_is_a_caller_told_through_which_of_its_own_helpers_it_calls_the_broken_function(hidden_grader, reference_source, tmp_path):
    source = replace_function(reference_source, "d_sigmoid", BROKEN_D_SIGMOID)
    source = replace_function(
        source, "dJ_dZ1", "def _local_gradient(Z):\n    return d_sigmoid(Z)\n\n\ndef dJ_dZ1(dX2, Z1):\n    return dX2 * _local_gradient(Z1)\n"
    )
    results = hidden_grader.grade(write(tmp_path, source))
    messages = [f.message for f in results.function("dJ_dZ1").findings]
    assert "dJ_dZ1 calls your d_sigmoid (through _local_gradient), which fails its own checks: fix it first" in messages
