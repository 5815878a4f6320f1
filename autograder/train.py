"""Train the reference network on MNIST 5 vs 8 and report accuracy (``autograder train``)."""

import time
from pathlib import Path

import numpy as np

from .reference import load_mnist_loader, load_reference


def five_vs_eight(loader, split):
    X, labels = loader.load_mnist(split, digits=(5, 8))
    return X, (labels == 8).astype(np.float64).reshape(-1, 1)


def train(course, layer_sizes=(784, 196, 1), learning_rate=0.1, iterations=1000, seed=1, plot=None):
    """Fit the reference on the shipped training subset's fives and eights.

    Returns a dict of figures; writes the cost curve to ``plot`` (a PNG path) if given.
    """
    reference = load_reference(course)
    loader = load_mnist_loader(course.data_dir)
    X_train, Y_train = five_vs_eight(loader, "train")
    X_test, Y_test = five_vs_eight(loader, "test")
    started = time.perf_counter()
    params, costs = reference.fit(X_train, Y_train, list(layer_sizes), learning_rate, iterations, seed)
    seconds = time.perf_counter() - started
    result = {
        "layer_sizes": list(layer_sizes),
        "train_examples": len(X_train),
        "test_examples": len(X_test),
        "train_accuracy": float(np.mean(reference.predict(X_train, params) == Y_train[:, 0])),
        "test_accuracy": float(np.mean(reference.predict(X_test, params) == Y_test[:, 0])),
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
