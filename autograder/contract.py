"""The student API of ../shared/CONTRACT.md as data: names, parameters and result kinds.

Everything that needs to know "which functions, with which arguments" reads this table:
the release generator, the graders and the exporters. The order is the contract's order.
"""

from dataclasses import dataclass, field

# Result kinds. "array": a float64 ndarray; "float": a Python/numpy float or 0-d array;
# "forward": tuple (Z1, X2, Z2, Y_hat); "grads": dict of arrays; "errors": dict of floats;
# "params": dict of arrays; "forward_n": (Y_hat, cache dict); "fit": (params, list of
# floats); "labels": (N,) int64 array.
RESULT_KINDS = ("array", "float", "forward", "grads", "errors", "params", "forward_n", "fit", "labels")


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    params: tuple
    result: str
    part: int
    defaults: dict = field(default_factory=dict)

    @property
    def required(self):
        """Parameters the grader always passes (those without a contract default)."""
        return tuple(p for p in self.params if p not in self.defaults)


FUNCTIONS = (
    FunctionSpec("sigmoid", ("Z",), "array", 1),
    FunctionSpec("d_sigmoid", ("Z",), "array", 1),
    FunctionSpec("softmax", ("Z",), "array", 1),
    FunctionSpec("softmax_jacobian", ("z",), "array", 1),
    FunctionSpec("cross_entropy", ("Y_hat", "Y"), "float", 1),
    FunctionSpec("d_softmax", ("Y_hat", "Y"), "array", 1),
    FunctionSpec("forward", ("X", "W1", "b1", "W2", "b2"), "forward", 2),
    FunctionSpec("dJ_dZ2", ("Y_hat", "Y"), "array", 2),
    FunctionSpec("dJ_dW2", ("X2", "dZ2"), "array", 2),
    FunctionSpec("dJ_db2", ("dZ2",), "array", 2),
    FunctionSpec("dJ_dX2", ("dZ2", "W2"), "array", 2),
    FunctionSpec("dJ_dZ1", ("dX2", "Z1"), "array", 2),
    FunctionSpec("dJ_dW1", ("X", "dZ1"), "array", 2),
    FunctionSpec("dJ_db1", ("dZ1",), "array", 2),
    FunctionSpec("backprop", ("X", "Y", "W1", "b1", "W2", "b2"), "grads", 2),
    FunctionSpec("numerical_gradient", ("f", "x", "eps"), "array", 3, {"eps": 1e-5}),
    FunctionSpec("relative_error", ("a", "b"), "float", 3),
    FunctionSpec(
        "gradient_check", ("X", "Y", "W1", "b1", "W2", "b2", "eps"), "errors", 3, {"eps": 1e-5}
    ),
    FunctionSpec("initialize_parameters", ("layer_sizes", "seed"), "params", 4, {"seed": 1}),
    FunctionSpec("forward_n", ("X", "params"), "forward_n", 4),
    FunctionSpec("cost_n", ("Y_hat", "Y"), "float", 4),
    FunctionSpec("backward_n", ("Y", "params", "cache"), "grads", 4),
    FunctionSpec("update", ("params", "grads", "learning_rate"), "params", 4),
    FunctionSpec(
        "fit",
        ("X", "Y", "layer_sizes", "learning_rate", "iterations", "seed"),
        "fit",
        4,
        {"learning_rate": 0.1, "iterations": 1000, "seed": 1},
    ),
    FunctionSpec("predict", ("X", "params"), "labels", 4),
)

BY_NAME = {spec.name: spec for spec in FUNCTIONS}
NAMES = tuple(spec.name for spec in FUNCTIONS)


def spec(name):
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a function of the contract; known: {', '.join(NAMES)}") from None
