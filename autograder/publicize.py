"""The public copy of a homework's mistakes.py: what the student release's checks/ and the
student wheel ship in place of the instructor's file (issue 16).

The instructor's mistakes.py states the answers: a ``fix=`` line may hold the finished
formula, and a mistake with ``impl=`` (a wrong implementation) or ``swap=`` (wrong helpers
for the reference) is the answer one edit away. The public copy is derived from the syntax
tree, so it cannot drift from the file it comes from:

* every ``Mistake(...)`` with ``impl=``, ``swap=`` or ``public=False``, or handed a top-level
  function with a graded function's parameters (a wrong implementation given to a test,
  ``test=_part_of(wrong, "dscores")``), is removed (from the
  list or tuple literal holding it, or with the ``.append(...)`` statement or assignment that
  holds it); the public checks then fall back to the engine's generic diagnoses (a
  sign-flipped result is still "sign_flipped", by its factor -1);
* the kept ``Mistake(...)`` calls lose ``fix=`` (also inside a ``**name`` dict they unpack);
  ``hint=`` stays. A kept mistake without a hint keeps its explanation and prints no fix line
  (the engine leaves an empty fix out): what is wrong is still said, no formula is;
* ``Hints(...)`` calls lose ``shape=`` and ``fixes=``; ``hint_shape=`` / ``hint_fixes=``
  stay (Homework.hints falls back to the homework-wide hint, then to no line);
* in a function that held a removed mistake, local names no longer used are removed (and a
  loop left empty); then top-level definitions no longer referenced are removed, to a fixed
  point (the wrong implementations and the helpers only they used).

A shape of code the transform cannot follow (a removed mistake anywhere else, a ``**``
argument it cannot resolve, a starred Hints) raises ReleaseError: the original is never
shipped in its place.
"""

import ast

DROPPED_KEYWORDS = ("impl", "swap")
MISTAKE_SECRET = ("fix",)
HINTS_SECRET = ("shape", "fixes")


def _error(message):
    from .release import ReleaseError

    return ReleaseError(f"public copy of mistakes.py: {message}")


def _called(node, name):
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == name) or (isinstance(func, ast.Attribute) and func.attr == name)


def _keyword(call, name):
    return next((k for k in call.keywords if k.arg == name), None)


def _is_dropped(call, implementations=frozenset()):
    if any(_keyword(call, name) is not None for name in DROPPED_KEYWORDS):
        return True
    if any(isinstance(n, ast.Name) and n.id in implementations for a in [*call.args, *call.keywords] for n in ast.walk(a)):
        return True  # a wrong implementation handed to a test (test=_part_of(wrong, "path"))
    public = _keyword(call, "public")
    if public is None:
        return False
    if isinstance(public.value, ast.Constant) and isinstance(public.value.value, bool):
        return not public.value.value
    raise _error(f"line {call.lineno}: public= is not a literal True or False")


def _parents(tree):
    parents = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    return parents


def _names_used(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _assigned(statement):
    """Names a simple statement binds (None when it is not a simple definition)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) for t in statement.targets):
        return {t.id for t in statement.targets}
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return {statement.target.id}
    return None


def _implementations(tree, signatures):
    """Top-level functions whose parameters are a graded function's: wrong implementations."""
    return frozenset(
        s.name for s in tree.body
        if isinstance(s, ast.FunctionDef) and tuple(a.arg for a in s.args.posonlyargs + s.args.args) in signatures
    )  # fmt: skip


def _remove_mistakes(tree, implementations=frozenset()):
    """Remove the dropped Mistake calls; returns the top-level names bound to a removed one,
    and the functions that held one (for the local clean-up)."""
    parents = _parents(tree)
    gone_names, touched = set(), set()
    for call in [n for n in ast.walk(tree) if _called(n, "Mistake") and _is_dropped(n, implementations)]:
        holder = parents[call]
        if isinstance(holder, (ast.List, ast.Tuple)) and call in holder.elts:
            holder.elts.remove(call)
        elif isinstance(holder, ast.Call) and isinstance(holder.func, ast.Attribute) and holder.func.attr == "append" \
                and holder.args == [call] and isinstance(parents.get(holder), ast.Expr):
            statement = parents[holder]
            body = next(b for b in (getattr(parents[statement], f, None) for f in ("body", "orelse")) if isinstance(b, list) and statement in b)
            body.remove(statement)
        elif isinstance(holder, ast.Assign) and parents.get(holder) is tree and all(isinstance(t, ast.Name) for t in holder.targets):
            tree.body.remove(holder)
            gone_names |= {t.id for t in holder.targets}
        else:
            raise _error(f"line {call.lineno}: a Mistake with {', '.join(k.arg for k in call.keywords if k.arg in DROPPED_KEYWORDS) or 'public=False'} "
                         f"inside a {type(holder).__name__}; put it in a list literal")
        node = holder
        while node is not None:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                touched.add(node)
            node = parents.get(node)
    return gone_names, touched


def _remove_references(tree, names):
    """Remove the elements ``*name`` / ``name`` of list literals that referred to a removed
    top-level mistake."""
    if not names:
        return
    parents = _parents(tree)
    for node in [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load)]:
        element = parents[node] if isinstance(parents[node], ast.Starred) else node
        holder = parents[element]
        if isinstance(holder, (ast.List, ast.Tuple)) and element in holder.elts:
            holder.elts.remove(element)
        else:
            raise _error(f"line {node.lineno}: {node.id} (a removed mistake) is used outside a list literal")


def _bodies(node):
    """The statement lists inside ``node`` (not inside nested definitions)."""
    for field in ("body", "orelse", "finalbody"):
        inner = getattr(node, field, None)
        if isinstance(inner, list):
            yield inner
            for statement in inner:
                if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    yield from _bodies(statement)


def _clean_function(function):
    """Remove, to a fixed point, the local definitions of a function no longer used anywhere
    in it, and loops left with an empty body."""
    changed = True
    while changed:
        changed = False
        for body in list(_bodies(function)):
            for statement in list(body):
                if isinstance(statement, (ast.For, ast.While)) and not statement.body:
                    body.remove(statement)
                    changed = True
                    continue
                names = _assigned(statement)
                if not names:
                    continue
                loads = [n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
                own = [n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
                elsewhere = {name for name in names if loads.count(name) > own.count(name)}
                if not elsewhere:
                    body.remove(statement)
                    changed = True
    if not function.body:
        function.body = [ast.Pass()]


def _hint_wording(test):
    """True / False when ``test`` is ``<x>.wording == "hint"`` / ``!= "hint"``, else None."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Attribute) and test.left.attr == "wording" \
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value == "hint":
        if isinstance(test.ops[0], (ast.Eq, ast.Is)):
            return True
        if isinstance(test.ops[0], (ast.NotEq, ast.IsNot)):
            return False
    return None


def _fold_wording(tree):
    """The public checks always word with "hint" (diagnosis.diagnose): keep only the hint
    branch of ``if found.wording == "hint": ... else: ...`` (and of its ``x if ... else y``),
    and drop what follows a return the fold brings up."""
    for node in ast.walk(tree):
        for body in [getattr(node, f, None) for f in ("body", "orelse", "finalbody")]:
            if not isinstance(body, list):
                continue
            i = 0
            while i < len(body):
                statement = body[i]
                taken = _hint_wording(statement.test) if isinstance(statement, ast.If) else None
                if taken is not None:
                    body[i : i + 1] = statement.body if taken else statement.orelse
                    continue
                if isinstance(statement, (ast.Return, ast.Raise)):
                    del body[i + 1 :]
                i += 1

    class Fold(ast.NodeTransformer):
        def visit_IfExp(self, node):
            self.generic_visit(node)
            taken = _hint_wording(node.test)
            return node if taken is None else (node.body if taken else node.orelse)

    Fold().visit(tree)


def _unpacked(call, tree):
    """The dict literal or dict(...) call each ``**name`` of ``call`` unpacks (top level)."""
    out = []
    for keyword in call.keywords:
        if keyword.arg is not None:
            continue
        if not isinstance(keyword.value, ast.Name):
            raise _error(f"line {call.lineno}: ** of something other than a name")
        found = [s.value for s in tree.body if isinstance(s, ast.Assign) and [getattr(t, "id", None) for t in s.targets] == [keyword.value.id]]
        if len(found) != 1 or not (_called(found[0], "dict") and not found[0].args or isinstance(found[0], ast.Dict)):
            raise _error(f"line {call.lineno}: **{keyword.value.id} is not one top-level dict(...) or {{...}}")
        out.append(found[0])
    return out


def _strip_keywords(call, secret):
    call.keywords = [k for k in call.keywords if k.arg not in secret]


def _strip_dict(node, secret):
    if isinstance(node, ast.Call):
        _strip_keywords(node, secret)
        return
    keep = [(k, v) for k, v in zip(node.keys, node.values) if not (isinstance(k, ast.Constant) and k.value in secret)]
    if any(k is None or not isinstance(k, ast.Constant) for k, _ in keep):
        raise _error(f"line {node.lineno}: a dict of Mistake arguments with keys that are not literals")
    node.keys, node.values = [k for k, _ in keep], [v for _, v in keep]


def _strip_texts(tree):
    for call in [n for n in ast.walk(tree) if _called(n, "Mistake")]:
        _strip_keywords(call, MISTAKE_SECRET)
        for unpacked in _unpacked(call, tree):
            _strip_dict(unpacked, MISTAKE_SECRET)
    for call in [n for n in ast.walk(tree) if _called(n, "Hints")]:
        if call.args or any(k.arg is None for k in call.keywords):
            raise _error(f"line {call.lineno}: Hints(...) with positional or ** arguments; name them (hint_shape=, hint_fixes=)")
        _strip_keywords(call, HINTS_SECRET)


def _prune_top_level(tree):
    """Remove top-level definitions not referenced by the rest of the module, to a fixed point
    (MISTAKES and HINTS, the tables the engine reads, always stay)."""
    changed = True
    while changed:
        changed = False
        for statement in list(tree.body):
            names = _assigned(statement)
            if not names or names & {"MISTAKES", "HINTS"} or any(n.startswith("__") for n in names):
                continue
            used = set().union(*(_names_used(s) for s in tree.body if s is not statement))
            if not names & used:
                tree.body.remove(statement)
                changed = True


def _prune_imports(tree):
    used = _names_used(tree) | {n.value.id for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
    for statement in tree.body:  # names a module exports by __all__ = [...] stay bound
        if isinstance(statement, ast.Assign) and [getattr(t, "id", None) for t in statement.targets] == ["__all__"]:
            used |= {e.value for e in getattr(statement.value, "elts", ()) if isinstance(e, ast.Constant)}
    for statement in list(tree.body):
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            statement.names = [a for a in statement.names if (a.asname or a.name).split(".")[0] in used]
            if not statement.names:
                tree.body.remove(statement)


HEADER = '''"""The public copy of this homework's known mistakes, generated by `autograder release`
(autograder/publicize.py) from the instructor's mistakes.py: the mistakes the public checks
name without their fixes; do not edit."""
'''


def public_mistakes(source, filename="mistakes.py", signatures=()):
    """The text of the public copy of a homework's mistakes.py ``source`` (see the module
    docstring); ``signatures``: the parameter tuples of the homework's graded functions (a
    top-level function with one of them is a wrong implementation). Raises ReleaseError on a
    shape of code it cannot transform."""
    tree = ast.parse(source, filename)
    if not any(isinstance(s, ast.Assign) and "MISTAKES" in [getattr(t, "id", None) for t in s.targets] for s in tree.body):
        raise _error("no top-level MISTAKES = {...} table")
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant):
        tree.body.pop(0)  # the instructor's docstring speaks of the fixes; the header replaces it
    _fold_wording(tree)
    implementations = _implementations(tree, {tuple(p) for p in signatures})
    gone, touched = _remove_mistakes(tree, implementations)
    _remove_references(tree, gone)
    for function in touched:
        _clean_function(function)
    _strip_texts(tree)
    _prune_top_level(tree)
    _prune_imports(tree)
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            if getattr(node, field, None) == [] and field == "body":
                node.body = [ast.Pass()]
    left = [n for n in ast.walk(tree) if _called(n, "Mistake") and (_is_dropped(n, implementations) or _keyword(n, "fix") is not None)]
    if left:
        raise _error(f"line {left[0].lineno}: a Mistake with a fix or implementation survived")
    return HEADER + "\n" + "\n".join(_unparse(s) for s in tree.body) + "\n"


def _unparse(statement):
    """A statement's text; a top-level table ``NAME = {...}`` one entry a line."""
    if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Dict) and len(statement.targets) == 1 \
            and all(k is not None for k in statement.value.keys):
        entries = "".join(f"    {ast.unparse(k)}: {ast.unparse(v)},\n" for k, v in zip(statement.value.keys, statement.value.values))
        return f"\n{ast.unparse(statement.targets[0])} = {{\n{entries}}}"
    text = ast.unparse(statement)
    return f"\n\n{text}\n" if isinstance(statement, (ast.FunctionDef, ast.ClassDef)) else text


def public_copy(files):
    """The public copy of ``files``' (a HomeworkFiles) mistakes.py, checked to load with the
    homework's spec.py (the same functions, known mistakes only where the original has some);
    None when the homework has no mistakes.py. Raises ReleaseError otherwise."""
    import tempfile
    from pathlib import Path

    from .spec import load_homework

    source = files.folder / "mistakes.py"
    if not source.is_file():
        return None
    full = load_homework(files.folder)
    text = public_mistakes(source.read_text(), str(source), [f.params for f in full.functions])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / files.folder.name
        folder.mkdir()
        (folder / "spec.py").write_text((files.folder / "spec.py").read_text())
        (folder / "mistakes.py").write_text(text)
        try:
            public = load_homework(folder)
        except Exception as err:
            raise _error(f"the public copy does not load: {err}") from err
        if public.names != full.names:
            raise _error(f"the public copy grades {public.names}, the homework {full.names}")
    return text
