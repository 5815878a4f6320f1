"""A catalogue of student mistakes, each written as a replacement for one contract function.

A mutant is the source of one top-level function as a student might have written it: a
transposed product, a forgotten 1/N, a softmax without the max shift, a stub. ``apply``
swaps mutants into the reference solution, which gives a submission with exactly those
mistakes and nothing else wrong. The tests use it to check that the grader takes points
only where it should and names the mistake; the same catalogue can generate fake classes
of submissions.

``mistake`` is the ``mistake:<id>`` tag the grader is expected to give (None: no specific
diagnosis expected). ``also`` lists the other functions allowed to lose points because
they call the mutated one (in the reference solution, directly or not). ``correct`` marks
variants that are written differently from the reference but are right: they must score
full marks everywhere.
"""

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOMEWORK = "backprop"
REFERENCE_PATH = ROOT / "solutions" / HOMEWORK / f"{HOMEWORK}.py"
STUB_PATH = ROOT / "assignment" / HOMEWORK / f"{HOMEWORK}.py"


def load(homework=HOMEWORK):
    """The spec (autograder.spec.Homework) of ``homework`` in this course."""
    from autograder.spec import load_homework

    return load_homework(ROOT / "solutions" / homework)


def callers(source, names):
    """Who calls whom in ``source`` (a reference), transitively: function -> the frozenset
    of functions among ``names`` that call it, directly or through other ones (functions no
    one calls are left out)."""
    calls = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            calls[node.name] = called & set(names)
    out = {}
    for name in names:
        reached, todo = set(), [name]
        while todo:
            current = todo.pop()
            for caller, callees in calls.items():
                if current in callees and caller not in reached:
                    reached.add(caller)
                    todo.append(caller)
        if reached:
            out[name] = frozenset(reached)
    return out


NAMES = load().names  # in contract order
# Who calls whom in the reference solution, transitively: function -> its callers.
CALLERS = callers(REFERENCE_PATH.read_text(), NAMES)


@dataclass(frozen=True)
class Mutant:
    id: str  # unique, e.g. "dJ_dW2-transposed"
    function: str  # the contract function it replaces
    source: str  # the full replacement `def name(...):` ("" deletes the function)
    mistake: str | None  # the mistake tag the grader should give; None: no specific one
    also: frozenset = frozenset()  # other functions allowed to lose points (its callers)
    correct: bool = False  # a right answer written differently: full marks everywhere


def _m(id, function, source, mistake, *, also=None, correct=False):
    source = textwrap.dedent(source).strip("\n")
    return Mutant(
        id=id,
        function=function,
        source=source + "\n" if source else "",
        mistake=mistake,
        also=CALLERS.get(function, frozenset()) if also is None else frozenset(also),
        correct=correct,
    )


def _ok(id, function, source):
    return _m(id, function, source, None, correct=True)


def apply(reference_source, mutants):
    """The reference source with each mutant's function replaced by the mutant's source.

    The function is located with ast (decorators included, up to its last line). Raises
    ValueError when a function is not defined at the top level, or when two mutants
    target the same function.
    """
    mutants = list(mutants)
    seen = {}
    for mutant in mutants:
        if mutant.function in seen:
            raise ValueError(f"mutants {seen[mutant.function]!r} and {mutant.id!r} both replace {mutant.function}")
        seen[mutant.function] = mutant.id
    tree = ast.parse(reference_source)
    spans = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            spans[node.name] = (first, node.end_lineno)
    missing = [m.function for m in mutants if m.function not in spans]
    if missing:
        raise ValueError(f"no top-level function {', '.join(missing)} in the source")
    lines = reference_source.splitlines(keepends=True)
    for mutant in sorted(mutants, key=lambda m: spans[m.function][0], reverse=True):
        first, last = spans[mutant.function]
        lines[first - 1 : last] = [mutant.source] if mutant.source else []
    return "".join(lines)


# --- the catalogue --------------------------------------------------------------------------

_PART1 = [
    # sigmoid
    _m("sigmoid-exp-over-one-plus-exp", "sigmoid", """
        def sigmoid(Z):
            return np.exp(Z) / (1 + np.exp(Z))
    """, "unstable_sigmoid"),
    _m("sigmoid-float32", "sigmoid", """
        def sigmoid(Z):
            Z = np.asarray(Z, dtype=np.float32)
            return 0.5 * (1 + np.tanh(0.5 * Z))
    """, "wrong_dtype"),
    # d_sigmoid
    _m("d_sigmoid-Z-as-activation", "d_sigmoid", """
        def d_sigmoid(Z):
            return Z * (1 - Z)
    """, "activation_for_preactivation"),
    _m("d_sigmoid-sigmoid-twice", "d_sigmoid", """
        def d_sigmoid(Z):
            s = sigmoid(Z)
            return sigmoid(s) * (1 - sigmoid(s))
    """, "activation_for_preactivation"),
    _m("d_sigmoid-exp-form", "d_sigmoid", """
        def d_sigmoid(Z):
            return np.exp(-Z) / (1 + np.exp(-Z)) ** 2
    """, "unstable_sigmoid"),
    _m("d_sigmoid-renamed", "d_sigmoid", """
        def sigmoid_prime(Z):
            s = sigmoid(Z)
            return s * (1 - s)
    """, "missing_function"),
    # softmax
    _m("softmax-no-max-shift", "softmax", """
        def softmax(Z):
            exps = np.exp(Z)
            return exps / np.sum(exps, axis=1, keepdims=True)
    """, "unstable_softmax"),
    _m("softmax-axis0", "softmax", """
        def softmax(Z):
            exps = np.exp(Z - np.max(Z, axis=0, keepdims=True))
            return exps / np.sum(exps, axis=0, keepdims=True)
    """, "softmax_wrong_axis"),
    _m("softmax-whole-array", "softmax", """
        def softmax(Z):
            exps = np.exp(Z - np.max(Z, axis=1, keepdims=True))
            return exps / np.sum(exps)
    """, "softmax_wrong_axis"),
    _m("softmax-in-place", "softmax", """
        def softmax(Z):
            Z -= np.max(Z, axis=1, keepdims=True)
            np.exp(Z, out=Z)
            Z /= np.sum(Z, axis=1, keepdims=True)
            return Z
    """, "input_mutation"),
    _m("softmax-tolist", "softmax", """
        def softmax(Z):
            exps = np.exp(Z - np.max(Z, axis=1, keepdims=True))
            return (exps / np.sum(exps, axis=1, keepdims=True)).tolist()
    """, "returns_list"),
    _m("softmax-keepdim-typo", "softmax", """
        def softmax(Z):
            exps = np.exp(Z - np.max(Z, axis=1, keepdim=True))
            return exps / np.sum(exps, axis=1, keepdim=True)
    """, "raises"),
    # softmax_jacobian
    _m("softmax_jacobian-diagonal-only", "softmax_jacobian", """
        def softmax_jacobian(z):
            s = softmax(z.reshape(1, -1))[0]
            return np.diag(s * (1 - s))
    """, "jacobian_diagonal_only"),
    _m("softmax_jacobian-stub", "softmax_jacobian", """
        def softmax_jacobian(z):
            raise NotImplementedError("softmax_jacobian")
    """, "not_implemented"),
    _m("softmax_jacobian-extra-argument", "softmax_jacobian", """
        def softmax_jacobian(z, s):
            return np.diag(s) - np.outer(s, s)
    """, "wrong_signature"),
    # cross_entropy
    _m("cross_entropy-sum", "cross_entropy", """
        def cross_entropy(Y_hat, Y):
            return float(-np.sum(Y * np.log(Y_hat)))
    """, "missing_mean"),
    _m("cross_entropy-no-minus", "cross_entropy", """
        def cross_entropy(Y_hat, Y):
            return float(np.sum(Y * np.log(Y_hat)) / Y.shape[0])
    """, "sign_flipped"),
    _m("cross_entropy-log10", "cross_entropy", """
        def cross_entropy(Y_hat, Y):
            return float(-np.sum(Y * np.log10(Y_hat)) / Y.shape[0])
    """, "scaled_by_constant"),
    _m("cross_entropy-binary-formula", "cross_entropy", """
        def cross_entropy(Y_hat, Y):
            per_row = np.sum(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat), axis=1)
            return float(-np.mean(per_row))
    """, None),
    _m("cross_entropy-float32", "cross_entropy", """
        def cross_entropy(Y_hat, Y):
            return np.float32(-np.sum(Y * np.log(Y_hat)) / Y.shape[0])
    """, "wrong_dtype"),
    _m("cross_entropy-method-typo", "cross_entropy", """
        def cross_entropy(Y_hat, Y):
            return float(-np.sum(Y * Y_hat.log()) / Y.shape[0])
    """, "raises"),
    # d_softmax
    _m("d_softmax-sign", "d_softmax", """
        def d_softmax(Y_hat, Y):
            return Y - Y_hat
    """, "sign_flipped"),
    _m("d_softmax-in-place", "d_softmax", """
        def d_softmax(Y_hat, Y):
            Y_hat -= Y
            return Y_hat
    """, "input_mutation"),
    _m("d_softmax-exits-process", "d_softmax", """
        def d_softmax(Y_hat, Y):
            import os
            os._exit(0)  # left over from debugging
    """, "crashed"),
]

_PART2 = [
    # forward
    _m("forward-star-for-matmul", "forward", """
        def forward(X, W1, b1, W2, b2):
            Z1 = X * W1 + b1
            X2 = sigmoid(Z1)
            Z2 = X2 * W2 + b2
            return Z1, X2, Z2, softmax(Z2)
    """, "elementwise_for_matmul"),
    _m("forward-operand-order", "forward", """
        def forward(X, W1, b1, W2, b2):
            Z1 = W1 @ X + b1
            X2 = sigmoid(Z1)
            Z2 = W2 @ X2 + b2
            return Z1, X2, Z2, softmax(Z2)
    """, "wrong_operand_order"),
    _m("forward-inline-softmax-axis0", "forward", """
        def forward(X, W1, b1, W2, b2):
            Z1 = X @ W1 + b1
            X2 = sigmoid(Z1)
            Z2 = X2 @ W2 + b2
            exps = np.exp(Z2 - Z2.max(axis=0, keepdims=True))
            return Z1, X2, Z2, exps / exps.sum(axis=0, keepdims=True)
    """, "softmax_wrong_axis"),
    _m("forward-no-return", "forward", """
        def forward(X, W1, b1, W2, b2):
            Z1 = X @ W1 + b1
            X2 = sigmoid(Z1)
            Z2 = X2 @ W2 + b2
            Y_hat = softmax(Z2)
    """, "returns_none"),
    # dJ_dZ2
    _m("dJ_dZ2-missing-mean", "dJ_dZ2", """
        def dJ_dZ2(Y_hat, Y):
            return Y_hat - Y
    """, "missing_mean"),
    _m("dJ_dZ2-sign", "dJ_dZ2", """
        def dJ_dZ2(Y_hat, Y):
            return (Y - Y_hat) / Y.shape[0]
    """, "sign_flipped"),
    _m("dJ_dZ2-divides-by-C", "dJ_dZ2", """
        def dJ_dZ2(Y_hat, Y):
            return (Y_hat - Y) / Y.shape[1]
    """, "scaled_by_constant"),
    _m("dJ_dZ2-in-place", "dJ_dZ2", """
        def dJ_dZ2(Y_hat, Y):
            dZ2 = Y_hat
            dZ2 -= Y
            dZ2 /= Y.shape[0]
            return dZ2
    """, "input_mutation"),
    _m("dJ_dZ2-len-of-int", "dJ_dZ2", """
        def dJ_dZ2(Y_hat, Y):
            N = len(Y.shape[0])
            return (Y_hat - Y) / N
    """, "raises"),
    _m("dJ_dZ2-extra-N", "dJ_dZ2", """
        def dJ_dZ2(Y_hat, Y, N):
            return (Y_hat - Y) / N
    """, "wrong_signature"),
    # dJ_dW2
    _m("dJ_dW2-transposed", "dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return dZ2.T @ X2
    """, "transposed"),
    _m("dJ_dW2-extra-mean", "dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return X2.T @ dZ2 / X2.shape[0]
    """, "sum_vs_mean"),
    _m("dJ_dW2-star-for-matmul", "dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return X2.T * dZ2
    """, "elementwise_for_matmul"),
    _m("dJ_dW2-operand-order", "dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return dZ2 @ X2.T
    """, "wrong_operand_order"),
    _m("dJ_dW2-float32", "dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return (X2.T @ dZ2).astype(np.float32)
    """, "wrong_dtype"),
    _m("dJ_dW2-tolist", "dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return (X2.T @ dZ2).tolist()
    """, "returns_list"),
    _m("dJ_dW2-renamed", "dJ_dW2", """
        def dJ_dw2(X2, dZ2):
            return X2.T @ dZ2
    """, "missing_function"),
    # dJ_db2
    _m("dJ_db2-mean", "dJ_db2", """
        def dJ_db2(dZ2):
            return np.mean(dZ2, axis=0, keepdims=True)
    """, "sum_vs_mean"),
    _m("dJ_db2-not-summed", "dJ_db2", """
        def dJ_db2(dZ2):
            return dZ2
    """, "bias_not_summed"),
    _m("dJ_db2-no-keepdims", "dJ_db2", """
        def dJ_db2(dZ2):
            return np.sum(dZ2, axis=0)
    """, "bias_keepdims"),
    _m("dJ_db2-no-return", "dJ_db2", """
        def dJ_db2(dZ2):
            db2 = np.sum(dZ2, axis=0, keepdims=True)
    """, "returns_none"),
    # dJ_dX2
    _m("dJ_dX2-transposed", "dJ_dX2", """
        def dJ_dX2(dZ2, W2):
            return W2 @ dZ2.T
    """, "transposed"),
    _m("dJ_dX2-star-for-matmul", "dJ_dX2", """
        def dJ_dX2(dZ2, W2):
            return dZ2 * W2.T
    """, "elementwise_for_matmul"),
    _m("dJ_dX2-operand-order", "dJ_dX2", """
        def dJ_dX2(dZ2, W2):
            return W2.T @ dZ2
    """, "wrong_operand_order"),
    # dJ_dZ1
    _m("dJ_dZ1-sigmoid-twice", "dJ_dZ1", """
        def dJ_dZ1(dX2, Z1):
            X2 = sigmoid(Z1)
            return dX2 * d_sigmoid(X2)
    """, "activation_for_preactivation"),
    _m("dJ_dZ1-Z1-as-activation", "dJ_dZ1", """
        def dJ_dZ1(dX2, Z1):
            return dX2 * Z1 * (1 - Z1)
    """, "activation_for_preactivation"),
    _m("dJ_dZ1-no-derivative", "dJ_dZ1", """
        def dJ_dZ1(dX2, Z1):
            return dX2
    """, "missing_derivative_factor"),
    _m("dJ_dZ1-in-place", "dJ_dZ1", """
        def dJ_dZ1(dX2, Z1):
            dX2 *= d_sigmoid(Z1)
            return dX2
    """, "input_mutation"),
    # dJ_dW1
    _m("dJ_dW1-transposed", "dJ_dW1", """
        def dJ_dW1(X, dZ1):
            return dZ1.T @ X
    """, "transposed"),
    _m("dJ_dW1-extra-mean", "dJ_dW1", """
        def dJ_dW1(X, dZ1):
            return X.T @ dZ1 / X.shape[0]
    """, "sum_vs_mean"),
    _m("dJ_dW1-star-for-matmul", "dJ_dW1", """
        def dJ_dW1(X, dZ1):
            return X.T * dZ1
    """, "elementwise_for_matmul"),
    _m("dJ_dW1-dot-operand-order", "dJ_dW1", """
        def dJ_dW1(X, dZ1):
            return np.dot(dZ1, X.T)
    """, "wrong_operand_order"),
    # dJ_db1
    _m("dJ_db1-mean", "dJ_db1", """
        def dJ_db1(dZ1):
            return dZ1.mean(axis=0, keepdims=True)
    """, "sum_vs_mean"),
    _m("dJ_db1-wrong-axis", "dJ_db1", """
        def dJ_db1(dZ1):
            return np.sum(dZ1, axis=1, keepdims=True)
    """, "bias_not_summed"),
    _m("dJ_db1-no-keepdims", "dJ_db1", """
        def dJ_db1(dZ1):
            return dZ1.sum(axis=0)
    """, "bias_keepdims"),
    # backprop
    _m("backprop-inline-missing-mean", "backprop", """
        def backprop(X, Y, W1, b1, W2, b2):
            Z1, X2, Z2, Y_hat = forward(X, W1, b1, W2, b2)
            dZ2 = Y_hat - Y
            dZ1 = dJ_dZ1(dJ_dX2(dZ2, W2), Z1)
            return {"W1": dJ_dW1(X, dZ1), "b1": dJ_db1(dZ1), "W2": dJ_dW2(X2, dZ2), "b2": dJ_db2(dZ2)}
    """, "missing_mean"),
    _m("backprop-X2-for-Z1", "backprop", """
        def backprop(X, Y, W1, b1, W2, b2):
            Z1, X2, Z2, Y_hat = forward(X, W1, b1, W2, b2)
            dZ2 = dJ_dZ2(Y_hat, Y)
            dZ1 = dJ_dZ1(dJ_dX2(dZ2, W2), X2)
            return {"W1": dJ_dW1(X, dZ1), "b1": dJ_db1(dZ1), "W2": dJ_dW2(X2, dZ2), "b2": dJ_db2(dZ2)}
    """, "activation_for_preactivation"),
    _m("backprop-no-sigmoid-derivative", "backprop", """
        def backprop(X, Y, W1, b1, W2, b2):
            Z1, X2, Z2, Y_hat = forward(X, W1, b1, W2, b2)
            dZ2 = dJ_dZ2(Y_hat, Y)
            dZ1 = dJ_dX2(dZ2, W2)
            return {"W1": dJ_dW1(X, dZ1), "b1": dJ_db1(dZ1), "W2": dJ_dW2(X2, dZ2), "b2": dJ_db2(dZ2)}
    """, "missing_derivative_factor"),
    _m("backprop-dZ2-for-W1", "backprop", """
        def backprop(X, Y, W1, b1, W2, b2):
            Z1, X2, Z2, Y_hat = forward(X, W1, b1, W2, b2)
            dZ2 = dJ_dZ2(Y_hat, Y)
            dZ1 = dJ_dZ1(dJ_dX2(dZ2, W2), Z1)
            return {"W1": dJ_dW1(X, dZ2), "b1": dJ_db1(dZ1), "W2": dJ_dW2(X2, dZ2), "b2": dJ_db2(dZ2)}
    """, "wrong_upstream_gradient"),
    _m("backprop-dZ2-for-layer-1", "backprop", """
        def backprop(X, Y, W1, b1, W2, b2):
            Z1, X2, Z2, Y_hat = forward(X, W1, b1, W2, b2)
            dZ2 = dJ_dZ2(Y_hat, Y)
            return {"W1": dJ_dW1(X, dZ2), "b1": dJ_db1(dZ2), "W2": dJ_dW2(X2, dZ2), "b2": dJ_db2(dZ2)}
    """, "wrong_upstream_gradient"),
    _m("backprop-no-return", "backprop", """
        def backprop(X, Y, W1, b1, W2, b2):
            Z1, X2, Z2, Y_hat = forward(X, W1, b1, W2, b2)
            dZ2 = dJ_dZ2(Y_hat, Y)
            dZ1 = dJ_dZ1(dJ_dX2(dZ2, W2), Z1)
            grads = {"W1": dJ_dW1(X, dZ1), "b1": dJ_db1(dZ1), "W2": dJ_dW2(X2, dZ2), "b2": dJ_db2(dZ2)}
    """, "returns_none"),
    _m("backprop-params-dict", "backprop", """
        def backprop(X, Y, params):
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
            Z1, X2, Z2, Y_hat = forward(X, W1, b1, W2, b2)
            dZ2 = dJ_dZ2(Y_hat, Y)
            dZ1 = dJ_dZ1(dJ_dX2(dZ2, W2), Z1)
            return {"W1": dJ_dW1(X, dZ1), "b1": dJ_db1(dZ1), "W2": dJ_dW2(X2, dZ2), "b2": dJ_db2(dZ2)}
    """, "wrong_signature"),
]

_PART3 = [
    # numerical_gradient
    _m("numerical_gradient-forward-difference", "numerical_gradient", """
        def numerical_gradient(f, x, eps=1e-5):
            grad = np.zeros_like(x, dtype=np.float64)
            f_0 = f()
            for index in np.ndindex(x.shape):
                saved = x[index]
                x[index] = saved + eps
                f_plus = f()
                x[index] = saved
                grad[index] = (f_plus - f_0) / eps
            return grad
    """, "numerical_gradient_forward_diff"),
    _m("numerical_gradient-backward-difference", "numerical_gradient", """
        def numerical_gradient(f, x, eps=1e-5):
            grad = np.zeros_like(x, dtype=np.float64)
            f_0 = f()
            for index in np.ndindex(x.shape):
                saved = x[index]
                x[index] = saved - eps
                f_minus = f()
                x[index] = saved
                grad[index] = (f_0 - f_minus) / eps
            return grad
    """, "numerical_gradient_forward_diff"),
    _m("numerical_gradient-divides-by-eps", "numerical_gradient", """
        def numerical_gradient(f, x, eps=1e-5):
            grad = np.zeros_like(x, dtype=np.float64)
            for index in np.ndindex(x.shape):
                saved = x[index]
                x[index] = saved + eps
                f_plus = f()
                x[index] = saved - eps
                f_minus = f()
                x[index] = saved
                grad[index] = (f_plus - f_minus) / eps
            return grad
    """, "numerical_gradient_forward_diff"),
    _m("numerical_gradient-add-subtract-eps", "numerical_gradient", """
        def numerical_gradient(f, x, eps=1e-5):
            grad = np.zeros_like(x, dtype=np.float64)
            for index in np.ndindex(x.shape):
                x[index] += eps
                f_plus = f()
                x[index] -= 2 * eps
                f_minus = f()
                x[index] += eps
                grad[index] = (f_plus - f_minus) / (2 * eps)
            return grad
    """, "numerical_gradient_not_restored"),
    _m("numerical_gradient-never-restored", "numerical_gradient", """
        def numerical_gradient(f, x, eps=1e-5):
            grad = np.zeros_like(x, dtype=np.float64)
            for index in np.ndindex(x.shape):
                saved = x[index]
                x[index] = saved + eps
                f_plus = f()
                x[index] = saved - eps
                f_minus = f()
                grad[index] = (f_plus - f_minus) / (2 * eps)
            return grad
    """, "numerical_gradient_not_restored"),
    _m("numerical_gradient-default-eps", "numerical_gradient", """
        def numerical_gradient(f, x, eps=1e-4):
            grad = np.zeros_like(x, dtype=np.float64)
            for index in np.ndindex(x.shape):
                saved = x[index]
                x[index] = saved + eps
                f_plus = f()
                x[index] = saved - eps
                f_minus = f()
                x[index] = saved
                grad[index] = (f_plus - f_minus) / (2 * eps)
            return grad
    """, "wrong_default"),
    _m("numerical_gradient-no-eps-parameter", "numerical_gradient", """
        def numerical_gradient(f, x):
            eps = 1e-5
            grad = np.zeros_like(x, dtype=np.float64)
            for index in np.ndindex(x.shape):
                saved = x[index]
                x[index] = saved + eps
                f_plus = f()
                x[index] = saved - eps
                f_minus = f()
                x[index] = saved
                grad[index] = (f_plus - f_minus) / (2 * eps)
            return grad
    """, "wrong_signature"),
    # relative_error
    _m("relative_error-over-norm-a", "relative_error", """
        def relative_error(a, b):
            return float(np.linalg.norm(a - b) / np.linalg.norm(a))
    """, "relative_error_wrong_denominator"),
    _m("relative_error-over-max", "relative_error", """
        def relative_error(a, b):
            largest = max(np.linalg.norm(a), np.linalg.norm(b))
            if largest == 0:
                return 0.0
            return float(np.linalg.norm(a - b) / largest)
    """, "relative_error_wrong_denominator"),
    _m("relative_error-matrix-2-norm", "relative_error", """
        def relative_error(a, b):
            denominator = np.linalg.norm(a, 2) + np.linalg.norm(b, 2)
            return 0.0 if denominator == 0 else float(np.linalg.norm(a - b, 2) / denominator)
    """, None),
    _m("relative_error-nan-when-both-zero", "relative_error", """
        def relative_error(a, b):
            return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))
    """, "relative_error_zero_case"),
    _m("relative_error-zero-division", "relative_error", """
        def relative_error(a, b):
            top = float(np.linalg.norm(a - b))
            return top / (float(np.linalg.norm(a)) + float(np.linalg.norm(b)))
    """, "relative_error_zero_case"),
    _m("relative_error-renamed", "relative_error", """
        def rel_error(a, b):
            return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))
    """, "missing_function"),
    # gradient_check
    _m("gradient_check-stub", "gradient_check", """
        def gradient_check(X, Y, W1, b1, W2, b2, eps=1e-5):
            raise NotImplementedError
    """, "not_implemented"),
    _m("gradient_check-default-eps", "gradient_check", """
        def gradient_check(X, Y, W1, b1, W2, b2, eps=1e-6):
            analytic = backprop(X, Y, W1, b1, W2, b2)
            params = {"W1": W1.copy(), "b1": b1.copy(), "W2": W2.copy(), "b2": b2.copy()}

            def cost():
                return cross_entropy(forward(X, params["W1"], params["b1"], params["W2"], params["b2"])[3], Y)

            return {k: relative_error(analytic[k], numerical_gradient(cost, params[k], eps)) for k in params}
    """, "wrong_default"),
]

_PART4 = [
    # initialize_parameters
    _m("initialize_parameters-divides-by-n_in", "initialize_parameters", """
        def initialize_parameters(layer_sizes, seed=1):
            rng = np.random.default_rng(seed)
            params = {}
            for l in range(1, len(layer_sizes)):
                n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
                params[f"W{l}"] = rng.standard_normal((n_in, n_out)) / n_in
                params[f"b{l}"] = np.zeros((1, n_out))
            return params
    """, "init_wrong_scale"),
    _m("initialize_parameters-unscaled", "initialize_parameters", """
        def initialize_parameters(layer_sizes, seed=1):
            rng = np.random.default_rng(seed)
            params = {}
            for l in range(1, len(layer_sizes)):
                params[f"W{l}"] = rng.standard_normal((layer_sizes[l - 1], layer_sizes[l]))
                params[f"b{l}"] = np.zeros((1, layer_sizes[l]))
            return params
    """, "init_wrong_scale"),
    _m("initialize_parameters-legacy-seed", "initialize_parameters", """
        def initialize_parameters(layer_sizes, seed=1):
            np.random.seed(seed)
            params = {}
            for l in range(1, len(layer_sizes)):
                n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
                params[f"W{l}"] = np.random.randn(n_in, n_out) / np.sqrt(n_in)
                params[f"b{l}"] = np.zeros((1, n_out))
            return params
    """, "init_wrong_rng"),
    _m("initialize_parameters-rng-per-layer", "initialize_parameters", """
        def initialize_parameters(layer_sizes, seed=1):
            params = {}
            for l in range(1, len(layer_sizes)):
                rng = np.random.default_rng(seed)
                n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
                params[f"W{l}"] = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
                params[f"b{l}"] = np.zeros((1, n_out))
            return params
    """, "init_wrong_rng"),
    _m("initialize_parameters-draw-transposed", "initialize_parameters", """
        def initialize_parameters(layer_sizes, seed=1):
            rng = np.random.default_rng(seed)
            params = {}
            for l in range(1, len(layer_sizes)):
                n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
                params[f"W{l}"] = rng.standard_normal((n_out, n_in)).T / np.sqrt(n_in)
                params[f"b{l}"] = np.zeros((1, n_out))
            return params
    """, "init_wrong_rng"),
    _m("initialize_parameters-shape-transposed", "initialize_parameters", """
        def initialize_parameters(layer_sizes, seed=1):
            rng = np.random.default_rng(seed)
            params = {}
            for l in range(1, len(layer_sizes)):
                n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
                params[f"W{l}"] = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
                params[f"b{l}"] = np.zeros((1, n_out))
            return params
    """, "transposed"),
    _m("initialize_parameters-default-seed-0", "initialize_parameters", """
        def initialize_parameters(layer_sizes, seed=0):
            rng = np.random.default_rng(seed)
            params = {}
            for l in range(1, len(layer_sizes)):
                n_in, n_out = layer_sizes[l - 1], layer_sizes[l]
                params[f"W{l}"] = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
                params[f"b{l}"] = np.zeros((1, n_out))
            return params
    """, "wrong_default"),
    # forward_n
    _m("forward_n-layer-0", "forward_n", """
        def forward_n(X, params):
            L = len(params) // 2
            cache = {"A0": X}
            A = X
            for l in range(L):
                Z = A @ params[f"W{l}"] + params[f"b{l}"]
                A = sigmoid(Z) if l < L - 1 or Z.shape[1] == 1 else softmax(Z)
                cache[f"Z{l}"], cache[f"A{l}"] = Z, A
            return A, cache
    """, "raises"),
    # cost_n
    _m("cost_n-binary-sum", "cost_n", """
        def cost_n(Y_hat, Y):
            if Y_hat.shape[1] == 1:
                return float(-np.sum(Y * np.log(Y_hat) + (1 - Y) * np.log(1 - Y_hat)))
            return cross_entropy(Y_hat, Y)
    """, "missing_mean"),
    _m("cost_n-binary-without-negative-class", "cost_n", """
        def cost_n(Y_hat, Y):
            if Y_hat.shape[1] == 1:
                return float(-np.mean(Y * np.log(Y_hat)))
            return cross_entropy(Y_hat, Y)
    """, None),
    _m("cost_n-deleted", "cost_n", "", "missing_function"),
    # backward_n
    _m("backward_n-transposed", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dZ = (cache[f"A{L}"] - Y) / Y.shape[0]
            for l in range(L, 0, -1):
                grads[f"W{l}"] = dZ.T @ cache[f"A{l - 1}"]
                grads[f"b{l}"] = np.sum(dZ, axis=0, keepdims=True)
                if l > 1:
                    dZ = (dZ @ params[f"W{l}"].T) * d_sigmoid(cache[f"Z{l - 1}"])
            return grads
    """, "transposed"),
    _m("backward_n-missing-mean", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dZ = cache[f"A{L}"] - Y
            for l in range(L, 0, -1):
                grads[f"W{l}"] = cache[f"A{l - 1}"].T @ dZ
                grads[f"b{l}"] = np.sum(dZ, axis=0, keepdims=True)
                if l > 1:
                    dZ = (dZ @ params[f"W{l}"].T) * d_sigmoid(cache[f"Z{l - 1}"])
            return grads
    """, "missing_mean"),
    _m("backward_n-sign", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dZ = (Y - cache[f"A{L}"]) / Y.shape[0]
            for l in range(L, 0, -1):
                grads[f"W{l}"] = cache[f"A{l - 1}"].T @ dZ
                grads[f"b{l}"] = np.sum(dZ, axis=0, keepdims=True)
                if l > 1:
                    dZ = (dZ @ params[f"W{l}"].T) * d_sigmoid(cache[f"Z{l - 1}"])
            return grads
    """, "sign_flipped"),
    _m("backward_n-bias-not-summed", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dZ = (cache[f"A{L}"] - Y) / Y.shape[0]
            for l in range(L, 0, -1):
                grads[f"W{l}"] = cache[f"A{l - 1}"].T @ dZ
                grads[f"b{l}"] = dZ
                if l > 1:
                    dZ = (dZ @ params[f"W{l}"].T) * d_sigmoid(cache[f"Z{l - 1}"])
            return grads
    """, "bias_not_summed"),
    _m("backward_n-bias-no-keepdims", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dZ = (cache[f"A{L}"] - Y) / Y.shape[0]
            for l in range(L, 0, -1):
                grads[f"W{l}"] = cache[f"A{l - 1}"].T @ dZ
                grads[f"b{l}"] = np.sum(dZ, axis=0)
                if l > 1:
                    dZ = (dZ @ params[f"W{l}"].T) * d_sigmoid(cache[f"Z{l - 1}"])
            return grads
    """, "bias_keepdims"),
    _m("backward_n-star-for-matmul", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dZ = (cache[f"A{L}"] - Y) / Y.shape[0]
            for l in range(L, 0, -1):
                grads[f"W{l}"] = cache[f"A{l - 1}"].T @ dZ
                grads[f"b{l}"] = np.sum(dZ, axis=0, keepdims=True)
                if l > 1:
                    dZ = (dZ * params[f"W{l}"].T) * d_sigmoid(cache[f"Z{l - 1}"])
            return grads
    """, "elementwise_for_matmul"),
    _m("backward_n-d_sigmoid-of-activation", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dZ = (cache[f"A{L}"] - Y) / Y.shape[0]
            for l in range(L, 0, -1):
                grads[f"W{l}"] = cache[f"A{l - 1}"].T @ dZ
                grads[f"b{l}"] = np.sum(dZ, axis=0, keepdims=True)
                if l > 1:
                    dZ = (dZ @ params[f"W{l}"].T) * d_sigmoid(cache[f"A{l - 1}"])
            return grads
    """, "activation_for_preactivation"),
    _m("backward_n-no-sigmoid-derivative", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dZ = (cache[f"A{L}"] - Y) / Y.shape[0]
            for l in range(L, 0, -1):
                grads[f"W{l}"] = cache[f"A{l - 1}"].T @ dZ
                grads[f"b{l}"] = np.sum(dZ, axis=0, keepdims=True)
                if l > 1:
                    dZ = dZ @ params[f"W{l}"].T
            return grads
    """, "missing_derivative_factor"),
    _m("backward_n-in-place-on-cache", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dZ = cache[f"A{L}"]
            dZ -= Y
            dZ /= Y.shape[0]
            for l in range(L, 0, -1):
                grads[f"W{l}"] = cache[f"A{l - 1}"].T @ dZ
                grads[f"b{l}"] = np.sum(dZ, axis=0, keepdims=True)
                if l > 1:
                    dZ = (dZ @ params[f"W{l}"].T) * d_sigmoid(cache[f"Z{l - 1}"])
            return grads
    """, "input_mutation"),
    _m("backward_n-tolist", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dZ = (cache[f"A{L}"] - Y) / Y.shape[0]
            for l in range(L, 0, -1):
                grads[f"W{l}"] = (cache[f"A{l - 1}"].T @ dZ).tolist()
                grads[f"b{l}"] = np.sum(dZ, axis=0, keepdims=True).tolist()
                if l > 1:
                    dZ = (dZ @ params[f"W{l}"].T) * d_sigmoid(cache[f"Z{l - 1}"])
            return grads
    """, "returns_list"),
    _m("backward_n-stub", "backward_n", """
        def backward_n(Y, params, cache):
            raise NotImplementedError("backward_n")
    """, "not_implemented"),
    # update
    _m("update-plus", "update", """
        def update(params, grads, learning_rate):
            return {k: params[k] + learning_rate * grads[k] for k in params}
    """, "sign_flipped"),
    _m("update-no-learning-rate", "update", """
        def update(params, grads, learning_rate):
            return {k: params[k] - grads[k] for k in params}
    """, "scaled_by_constant"),
    _m("update-in-place", "update", """
        def update(params, grads, learning_rate):
            for k in params:
                params[k] -= learning_rate * grads[k]
            return params
    """, "input_mutation"),
    _m("update-no-return", "update", """
        def update(params, grads, learning_rate):
            new_params = {k: params[k] - learning_rate * grads[k] for k in params}
    """, "returns_none"),
    _m("update-global-learning-rate", "update", """
        def update(params, grads):
            learning_rate = 0.1
            return {k: params[k] - learning_rate * grads[k] for k in params}
    """, "wrong_signature"),
    # fit
    _m("fit-default-learning-rate", "fit", """
        def fit(X, Y, layer_sizes, learning_rate=0.01, iterations=1000, seed=1):
            params = initialize_parameters(layer_sizes, seed)
            costs = []
            for _ in range(iterations):
                Y_hat, cache = forward_n(X, params)
                costs.append(cost_n(Y_hat, Y))
                params = update(params, backward_n(Y, params, cache), learning_rate)
            return params, costs
    """, "wrong_default"),
    _m("fit-stub", "fit", """
        def fit(X, Y, layer_sizes, learning_rate=0.1, iterations=1000, seed=1):
            raise NotImplementedError("fit")
    """, "not_implemented"),
    # predict
    _m("predict-column", "predict", """
        def predict(X, params):
            Y_hat, _ = forward_n(X, params)
            if Y_hat.shape[1] == 1:
                return (Y_hat > 0.5).astype(np.int64)
            return np.argmax(Y_hat, axis=1).astype(np.int64)
    """, "predict_column"),
    _m("predict-argmax-keepdims", "predict", """
        def predict(X, params):
            Y_hat, _ = forward_n(X, params)
            if Y_hat.shape[1] == 1:
                return (Y_hat > 0.5).astype(np.int64)
            return np.argmax(Y_hat, axis=1, keepdims=True).astype(np.int64)
    """, "predict_column"),
    _m("predict-float-labels", "predict", """
        def predict(X, params):
            Y_hat, _ = forward_n(X, params)
            if Y_hat.shape[1] == 1:
                return (Y_hat[:, 0] > 0.5).astype(float)
            return np.argmax(Y_hat, axis=1).astype(float)
    """, "wrong_dtype"),
    _m("predict-tolist", "predict", """
        def predict(X, params):
            Y_hat, _ = forward_n(X, params)
            if Y_hat.shape[1] == 1:
                return [int(p > 0.5) for p in Y_hat[:, 0]]
            return np.argmax(Y_hat, axis=1).tolist()
    """, "returns_list"),
    _m("predict-renamed", "predict", """
        def predict_labels(X, params):
            Y_hat, _ = forward_n(X, params)
            if Y_hat.shape[1] == 1:
                return (Y_hat[:, 0] > 0.5).astype(np.int64)
            return np.argmax(Y_hat, axis=1).astype(np.int64)
    """, "missing_function"),
    _m("predict-endless-loop", "predict", """
        def predict(X, params):
            Y_hat, _ = forward_n(X, params)
            labels = np.zeros(len(X), dtype=np.int64)
            i = 0
            while i < len(X):
                labels[i] = int(Y_hat[i, 0] > 0.5) if Y_hat.shape[1] == 1 else int(np.argmax(Y_hat[i]))
            return labels
    """, "timeout"),
]

# Right answers written differently from the reference: they must get full marks.
_CORRECT = [
    _ok("sigmoid-tanh", "sigmoid", """
        def sigmoid(Z):
            return 0.5 * (1.0 + np.tanh(0.5 * Z))
    """),
    _ok("sigmoid-np-where", "sigmoid", """
        def sigmoid(Z):
            E = np.exp(-np.abs(Z))
            return np.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E))
    """),
    _ok("d_sigmoid-inline", "d_sigmoid", """
        def d_sigmoid(Z):
            s = 0.5 * (1.0 + np.tanh(0.5 * Z))
            return s - s * s
    """),
    _ok("softmax-log-sum-exp", "softmax", """
        def softmax(Z):
            m = Z.max(axis=1, keepdims=True)
            log_norm = m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))
            return np.exp(Z - log_norm)
    """),
    _ok("softmax_jacobian-loops", "softmax_jacobian", """
        def softmax_jacobian(z):
            e = np.exp(z - np.max(z))
            s = e / e.sum()
            C = len(z)
            J = np.zeros((C, C))
            for i in range(C):
                for j in range(C):
                    J[i, j] = s[i] * ((1.0 if i == j else 0.0) - s[j])
            return J
    """),
    _ok("cross_entropy-picked-entries", "cross_entropy", """
        def cross_entropy(Y_hat, Y):
            rows = np.arange(Y.shape[0])
            return -np.mean(np.log(Y_hat[rows, np.argmax(Y, axis=1)]))
    """),
    _ok("d_softmax-subtract", "d_softmax", """
        def d_softmax(Y_hat, Y):
            return np.subtract(Y_hat, Y)
    """),
    _ok("forward-np-dot", "forward", """
        def forward(X, W1, b1, W2, b2):
            Z1 = np.dot(X, W1) + b1
            X2 = sigmoid(Z1)
            Z2 = np.dot(X2, W2) + b2
            return [Z1, X2, Z2, softmax(Z2)]
    """),
    _ok("dJ_dZ2-len", "dJ_dZ2", """
        def dJ_dZ2(Y_hat, Y):
            return (Y_hat - Y) / len(Y)
    """),
    _ok("dJ_dW2-einsum", "dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return np.einsum("nh,nc->hc", X2, dZ2)
    """),
    _ok("dJ_dW1-loop-of-outer-products", "dJ_dW1", """
        def dJ_dW1(X, dZ1):
            dW1 = np.zeros((X.shape[1], dZ1.shape[1]))
            for n in range(X.shape[0]):
                dW1 += np.outer(X[n], dZ1[n])
            return dW1
    """),
    _ok("dJ_dX2-np-matmul", "dJ_dX2", """
        def dJ_dX2(dZ2, W2):
            return np.matmul(dZ2, np.transpose(W2))
    """),
    _ok("dJ_dZ1-sigmoid-of-Z1", "dJ_dZ1", """
        def dJ_dZ1(dX2, Z1):
            X2 = sigmoid(Z1)
            return dX2 * X2 * (1 - X2)
    """),
    _ok("dJ_db1-reshape", "dJ_db1", """
        def dJ_db1(dZ1):
            return dZ1.sum(axis=0).reshape(1, -1)
    """),
    _ok("dJ_db2-ones-matmul", "dJ_db2", """
        def dJ_db2(dZ2):
            return np.ones((1, dZ2.shape[0])) @ dZ2
    """),
    _ok("numerical_gradient-nditer", "numerical_gradient", """
        def numerical_gradient(f, x, eps=1e-5):
            grad = np.zeros(x.shape)
            it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
            while not it.finished:
                ix = it.multi_index
                old = x[ix].copy()
                x[ix] = old + eps
                f_plus = f()
                x[ix] = old - eps
                f_minus = f()
                x[ix] = old
                grad[ix] = (f_plus - f_minus) / (2 * eps)
                it.iternext()
            return grad
    """),
    _ok("relative_error-sqrt-sum", "relative_error", """
        def relative_error(a, b):
            num = np.sqrt(np.sum((a - b) ** 2))
            den = np.sqrt(np.sum(a ** 2)) + np.sqrt(np.sum(b ** 2))
            return 0.0 if den == 0 else float(num / den)
    """),
    _ok("gradient_check-perturbs-originals", "gradient_check", """
        def gradient_check(X, Y, W1, b1, W2, b2, eps=1e-5):
            analytic = backprop(X, Y, W1, b1, W2, b2)
            params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}

            def cost():
                return cross_entropy(forward(X, W1, b1, W2, b2)[3], Y)

            return {k: relative_error(analytic[k], numerical_gradient(cost, params[k], eps)) for k in params}
    """),
    _ok("initialize_parameters-rng-normal", "initialize_parameters", """
        def initialize_parameters(layer_sizes, seed=1):
            rng = np.random.default_rng(seed)
            params = {}
            for l, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
                params["W" + str(l)] = rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out))
                params["b" + str(l)] = np.zeros((1, n_out))
            return params
    """),
    _ok("forward_n-list-of-layers", "forward_n", """
        def forward_n(X, params):
            L = len([k for k in params if k[0] == "W"])
            cache = {"A0": X}
            for l in range(1, L + 1):
                cache[f"Z{l}"] = np.dot(cache[f"A{l - 1}"], params[f"W{l}"]) + params[f"b{l}"]
                last_softmax = l == L and params[f"W{l}"].shape[1] > 1
                cache[f"A{l}"] = softmax(cache[f"Z{l}"]) if last_softmax else sigmoid(cache[f"Z{l}"])
            return cache[f"A{L}"], cache
    """),
    _ok("cost_n-log1p", "cost_n", """
        def cost_n(Y_hat, Y):
            N = Y.shape[0]
            if Y.shape[1] == 1:
                return float(-(Y * np.log(Y_hat) + (1 - Y) * np.log1p(-Y_hat)).sum() / N)
            return float(-(Y * np.log(Y_hat)).sum() / N)
    """),
    _ok("backward_n-activation-form", "backward_n", """
        def backward_n(Y, params, cache):
            L = len(params) // 2
            grads = {}
            dA = None
            for l in range(L, 0, -1):
                if l == L:
                    dZ = (cache[f"A{L}"] - Y) / len(Y)
                else:
                    A = cache[f"A{l}"]
                    dZ = dA * A * (1 - A)
                grads[f"W{l}"] = cache[f"A{l - 1}"].T @ dZ
                grads[f"b{l}"] = dZ.sum(axis=0, keepdims=True)
                dA = dZ @ params[f"W{l}"].T
            return grads
    """),
    _ok("update-copy-loop", "update", """
        def update(params, grads, learning_rate):
            new = {}
            for key, value in params.items():
                new[key] = value.copy()
                new[key] = new[key] - learning_rate * grads[key]
            return new
    """),
    _ok("fit-while-loop", "fit", """
        def fit(X, Y, layer_sizes, learning_rate=0.1, iterations=1000, seed=1):
            params = initialize_parameters(layer_sizes, seed=seed)
            costs = []
            while len(costs) < iterations:
                Y_hat, cache = forward_n(X, params)
                grads = backward_n(Y, params, cache)
                costs.append(float(cost_n(Y_hat, Y)))
                params = update(params, grads, learning_rate)
            return params, costs
    """),
    _ok("predict-np-where", "predict", """
        def predict(X, params):
            Y_hat = forward_n(X, params)[0]
            if Y_hat.shape[1] == 1:
                return np.where(Y_hat.ravel() > 0.5, 1, 0).astype(np.int64)
            return Y_hat.argmax(axis=1)
    """),
]

# --- generic diagnoses (issue 12): all zeros, a dropped size-1 axis, the wrong axis ---------
# Mistakes no specific catalogue entry rebuilds; diagnosis.py names them after the catalogue.
_GENERIC = [
    # all_zeros
    _m("dJ_dW2-loop-plus-not-plus-equals", "dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            dW2 = np.zeros((X2.shape[1], dZ2.shape[1]))
            for n in range(X2.shape[0]):
                dW2 + np.outer(X2[n], dZ2[n])
            return dW2
    """, "all_zeros"),
    _m("dJ_dW1-integer-division", "dJ_dW1", """
        def dJ_dW1(X, dZ1):
            return (1 // X.shape[0]) * (X.T @ dZ1)
    """, "all_zeros"),
    # keepdims
    _m("forward_n-one-output-flattened", "forward_n", """
        def forward_n(X, params):
            L = sum(1 for key in params if key.startswith("W"))
            cache = {"A0": X}
            A = X
            for layer in range(1, L + 1):
                Z = A @ params[f"W{layer}"] + params[f"b{layer}"]
                A = sigmoid(Z) if layer < L or Z.shape[1] == 1 else softmax(Z)
                cache[f"Z{layer}"] = Z
                cache[f"A{layer}"] = A
            return (A[:, 0] if A.shape[1] == 1 else A), cache
    """, "keepdims"),
    # wrong_axis
    _m("dJ_dZ2-mean-over-rows", "dJ_dZ2", """
        def dJ_dZ2(Y_hat, Y):
            return np.mean(Y_hat - Y, axis=0, keepdims=True)
    """, "wrong_axis"),
    _m("dJ_db1-sum-over-all-axes", "dJ_db1", """
        def dJ_db1(dZ1):
            return np.sum(dZ1, keepdims=True)
    """, "wrong_axis"),
    _m("dJ_dW2-outer-product-per-row", "dJ_dW2", """
        def dJ_dW2(X2, dZ2):
            return np.array([np.outer(x, d) for x, d in zip(X2, dZ2)])
    """, "wrong_axis"),
    _m("cross_entropy-summed-over-rows-only", "cross_entropy", """
        def cross_entropy(Y_hat, Y):
            return -np.sum(Y * np.log(Y_hat), axis=0) / Y.shape[0]
    """, "wrong_axis"),
]

MUTANTS: tuple[Mutant, ...] = tuple(_PART1 + _PART2 + _PART3 + _PART4 + _CORRECT + _GENERIC)

_ids = [m.id for m in MUTANTS]
assert len(_ids) == len(set(_ids)), "mutant ids must be unique"
del _ids
