"""Train the reference network on MNIST 5 vs 8 and report its accuracy.

    python solutions/backprop/train.py --layers 784-196-1 --plot demo-output/cost_784-196-1.png

A plain script beside the reference (the grading engine never imports it): it loads
backprop.py from this folder and the course's MNIST loader from data/mnist.py, fits the
reference on the shipped training subset's fives and eights, and prints the accuracies.
"""

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
COURSE = HERE.parent.parent


def load_module(path, name):
    """The Python file at ``path`` as a module (its ``__main__`` cells do not run)."""
    module_spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def five_vs_eight(loader, split):
    X, labels = loader.load_mnist(split, digits=(5, 8))
    return X, (labels == 8).astype(np.float64).reshape(-1, 1)


def train(layer_sizes=(784, 196, 1), learning_rate=0.1, iterations=1000, seed=1, plot=None, reference=HERE / "backprop.py", data=COURSE / "data"):
    """Fit the reference on the shipped training subset's fives and eights.

    Returns a dict of figures; writes the cost curve to ``plot`` (a PNG path) if given.
    """
    model = load_module(reference, "_train_reference")
    loader = load_module(Path(data) / "mnist.py", "_train_mnist")
    X_train, Y_train = five_vs_eight(loader, "train")
    X_test, Y_test = five_vs_eight(loader, "test")
    started = time.perf_counter()
    params, costs = model.fit(X_train, Y_train, list(layer_sizes), learning_rate, iterations, seed)
    seconds = time.perf_counter() - started
    result = {
        "layer_sizes": list(layer_sizes),
        "train_examples": len(X_train),
        "test_examples": len(X_test),
        "train_accuracy": float(np.mean(model.predict(X_train, params) == Y_train[:, 0])),
        "test_accuracy": float(np.mean(model.predict(X_test, params) == Y_test[:, 0])),
        "final_cost": costs[-1],
        "seconds": seconds,
    }
    if plot is not None:
        write_cost_plot(costs, layer_sizes, Path(plot))
        result["plot"] = str(plot)
    return result


def write_cost_plot(costs, layer_sizes, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(costs)
    axis.set_xlabel("iteration")
    axis.set_ylabel("binary cross-entropy")
    axis.set_title(f"{'-'.join(map(str, layer_sizes))} on MNIST 5 vs 8 (training cost)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description="train the reference network on MNIST 5 vs 8")
    parser.add_argument("--layers", default="784-196-1", help="layer sizes, e.g. 784-392-196-98-1")
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plot", help="write the cost curve to this PNG")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.layers.split("-")]
    result = train(sizes, args.learning_rate, args.iterations, args.seed, plot=args.plot)
    print(
        f"{args.layers} on MNIST 5 vs 8 ({result['train_examples']} training images, "
        f"{result['test_examples']} test images, lr {args.learning_rate}, {args.iterations} iterations, "
        f"seed {args.seed}):\n"
        f"  train accuracy {result['train_accuracy']:.3f}\n"
        f"  test accuracy  {result['test_accuracy']:.3f}\n"
        f"  final cost     {result['final_cost']:.4f}\n"
        f"  training took  {result['seconds']:.1f} s"
    )
    if args.plot:
        print(f"  cost curve     {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
