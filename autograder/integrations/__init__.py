"""Exports of the assignment for other graders: Gradescope, otter-grader, nbgrader."""
