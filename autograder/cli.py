"""The ``autograder`` command: thin wrappers around the package's functions."""

import argparse
import sys

from .course import CourseNotFound, find_course


def cmd_release(args):
    from .release import build_release

    course = find_course(args.course)
    written = build_release(course, args.output)
    target = args.output or course.release_dir
    print(f"release written to {target} ({len(written)} files)")
    return 0


def cmd_train(args):
    from .train import train

    course = find_course(args.course)
    sizes = [int(n) for n in args.layers.split("-")]
    result = train(course, sizes, args.learning_rate, args.iterations, args.seed, plot=args.plot)
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


def build_parser():
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="build the student release from solutions/")
    release.add_argument("--course", help="course folder (default: found from the working directory)")
    release.add_argument("--output", help="where to write the release (default: COURSE/assignment)")
    release.set_defaults(run=cmd_release)

    train = commands.add_parser("train", help="train the reference network on MNIST 5 vs 8")
    train.add_argument("--course", help="course folder (default: found from the working directory)")
    train.add_argument("--layers", default="784-196-1", help="layer sizes, e.g. 784-392-196-98-1")
    train.add_argument("--learning-rate", type=float, default=0.1)
    train.add_argument("--iterations", type=int, default=1000)
    train.add_argument("--seed", type=int, default=1)
    train.add_argument("--plot", help="write the cost curve to this PNG")
    train.set_defaults(run=cmd_train)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CourseNotFound as err:
        print(f"autograder: {err}", file=sys.stderr)
        return 2
