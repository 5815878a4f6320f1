"""Does a plan read back from the disk cache hold exactly what a fresh plan computes?"""

import numpy as np

from autograder import plancache
from autograder.plan import build_plan
from autograder.structure import flatten


def fresh_plan(homework, config, ref):
    plan = build_plan(homework, config.seeds, ref, config.functions)
    for cases in plan.values():
        for case in cases:
            case.compute_probes()
    return plan


def test_cached_plan_equals_a_fresh_one(homework, hidden_config, ref, tmp_path):
    original = fresh_plan(homework, hidden_config, ref)
    path = tmp_path / "plan.plan"
    plancache.save(path, original)
    stored = plancache.load(path)
    cached = build_plan(homework, hidden_config.seeds, ref, hidden_config.functions, stored)
    assert plancache.covers(stored, cached)
    for name, cases in original.items():
        for case, again in zip(cases, cached[name]):
            if case.expected is not None:
                for (p1, _, v1), (p2, _, v2) in zip(flatten(case.expect, case.expected), flatten(again.expect, again.expected)):
                    assert p1 == p2 and np.array_equal(np.asarray(v1), np.asarray(v2)), (name, case.label, p1)
            assert set(again.known_probes) == set(case.fd)  # restored, not recomputed
            assert not again.compute_probes()
            for key, probes in case.known_probes.items():
                other = again.known_probes[key]
                assert np.array_equal(probes.numeric, other.numeric)
                for d1, d2 in zip(probes.directions, other.directions):
                    assert (d1 == d2) if isinstance(d1, tuple) else np.array_equal(d1, d2)


def test_a_damaged_cache_is_ignored(tmp_path):
    path = tmp_path / "plan.plan"
    path.write_bytes(b"not a plan")
    assert plancache.load(path) == {}
    assert plancache.load(tmp_path / "missing.plan") == {}


def test_the_key_changes_with_the_reference_and_the_seeds(homework, ref, hidden_config):
    key = plancache.plan_key(homework, ref, hidden_config.seeds, hidden_config.functions)
    assert key != plancache.plan_key(homework, ref, (1, 2, 3), hidden_config.functions)
    assert key != plancache.plan_key(homework, None, hidden_config.seeds, hidden_config.functions)
