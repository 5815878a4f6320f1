"""Figures and numbers of the modular_layers homework for RESULTS.md (grading never runs this).

    .venv/bin/python solutions/modular_layers/figures.py OUT_DIR

writes into OUT_DIR:
  circles_boundary.png   the 2-16-16-2 ReLU network's decision boundary on the circles, and its loss
  circles_hidden.gif     the second hidden layer's representation of the points during training
  numbers.json           logistic-regression accuracy on MNIST 5 vs 8, the circles' accuracy,
                         the loop vs vectorised timing of the chain
and prints the same numbers. Everything comes from the reference notebook's own functions.
"""

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def load_reference():
    spec = importlib.util.spec_from_file_location("modular_layers_reference", HERE / "modular_layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mnist_numbers(ref):
    data = HERE.parent.parent / "data"
    sys.path.insert(0, str(data))
    from mnist import load_mnist

    X_train, labels_train = load_mnist("train", digits=(5, 8))
    X_test, labels_test = load_mnist("test", digits=(5, 8))
    y_train = (labels_train == 8).astype(np.int64)
    y_test = (labels_test == 8).astype(np.int64)
    start = time.perf_counter()
    params, losses = ref.logistic_regression(X_train, y_train, learning_rate=0.5, iterations=300)
    seconds = time.perf_counter() - start

    def accuracy(X, y):
        scores, _ = ref.affine_forward(X, params["W1"], params["b1"])
        return float(np.mean((scores[:, 0] > 0).astype(np.int64) == y))

    return {
        "model": "affine 784-1 + logistic_loss, zero init, full-batch gradient descent, lr 0.5, 300 steps",
        "train_images": int(len(y_train)), "test_images": int(len(y_test)),
        "train_accuracy": accuracy(X_train, y_train), "test_accuracy": accuracy(X_test, y_test),
        "final_loss": float(losses[-1]), "seconds": round(seconds, 1),
    }  # fmt: skip


def chain_numbers(ref):
    rng = np.random.default_rng(0)
    x, y, w = rng.standard_normal(2000), rng.random(2000), rng.standard_normal(8) * 2.0
    start = time.perf_counter()
    G = ref.chain_backward_loop(x, w, y)
    loop = time.perf_counter() - start
    start = time.perf_counter()
    g = ref.chain_backward(x, w, y)
    vectorised = time.perf_counter() - start
    return {
        "N": 2000, "K": 8, "loop_ms": round(loop * 1e3, 1), "vectorised_ms": round(vectorised * 1e3, 2),
        "same_gradient": bool(np.allclose(G.mean(axis=0), g, rtol=1e-12, atol=0.0)),
        "mean_abs_gradient_per_unit": [float(v) for v in np.abs(G).mean(axis=0)],
    }  # fmt: skip


def circles_figures(ref, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = ref.CIRCLES
    X, y = ref.make_circles(settings["N"], settings["noise"], settings["seed"])
    X_test, y_test = ref.make_circles(settings["N"], settings["noise"], settings["seed"] + 1)
    params, losses = ref.train_sgd(X, y, settings["layer_sizes"], settings["learning_rate"], settings["epochs"], settings["batch_size"], seed=0)
    grid = np.linspace(-1.6, 1.6, 241)
    gx, gy = np.meshgrid(grid, grid)
    regions = ref.predict_classes(params, np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    left.contourf(gx, gy, regions, levels=[-0.5, 0.5, 1.5], colors=["#cfe0f5", "#f7d9c4"])
    left.contour(gx, gy, regions, levels=[0.5], colors="k", linewidths=0.8)
    left.scatter(*X.T, c=y, cmap="coolwarm", s=8, edgecolors="none")
    left.set_aspect("equal")
    left.set_title("decision boundary, 2-16-16-2 ReLU, He init")
    right.plot(losses, lw=0.8)
    steps = -(-settings["N"] // settings["batch_size"])
    right.plot(np.arange(steps - 1, len(losses), steps), np.array(losses).reshape(-1, steps).mean(axis=1), lw=2, label="epoch mean")
    right.set_xlabel("step (batch of 32)")
    right.set_ylabel("batch loss")
    right.legend()
    fig.tight_layout()
    fig.savefig(out / "circles_boundary.png", dpi=90)
    plt.close(fig)
    start = time.perf_counter()
    ref.save_hidden_animation(X, y, str(out / "circles_hidden.gif"), settings)
    return {
        "settings": settings,
        "train_accuracy": float(np.mean(ref.predict_classes(params, X) == y)),
        "test_accuracy_fresh_circles_seed_1": float(np.mean(ref.predict_classes(params, X_test) == y_test)),
        "first_epoch_mean_loss": float(np.mean(losses[:steps])), "last_epoch_mean_loss": float(np.mean(losses[-steps:])),
        "gif_seconds": round(time.perf_counter() - start, 1),
    }  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG, the GIF and numbers.json")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    ref = load_reference()
    start = time.perf_counter()
    numbers = {"mnist_logistic_regression": mnist_numbers(ref), "chain": chain_numbers(ref), "circles": circles_figures(ref, args.out)}
    numbers["total_seconds"] = round(time.perf_counter() - start, 1)
    (args.out / "numbers.json").write_text(json.dumps(numbers, indent=2) + "\n")
    print(json.dumps(numbers, indent=2))


if __name__ == "__main__":
    main()
