"""Mutation run over the login module: break one thing at a time, and see whether a test notices.

Each mutant is one small change to one file of python/netbox_sso, made from the file's syntax tree, so the
run works on any version of the module:

    compare   flip a comparison (== and !=, < and >=, > and <=, in and not in, is and is not)
    boolop    swap and/or
    not       drop a `not`
    cond      negate the condition of an if, while or conditional expression
    const     True/False swapped, a number changed by one, a string emptied (or an empty one filled)
    arith     swap + and -, * and /
    return    `return X` becomes `return None`
    delete    a simple statement (call, assignment, raise, ...) becomes `pass`
    loop      swap break and continue

The tests run on a copy of python/ (the module, tests/, pytest.ini), never on the tree itself. A first run
under coverage records which tests run each line; a mutant runs only those tests first (with -x), and when
they all pass, the whole suite, so a mutant counts as surviving only when the whole suite passes with it.
Each run is a fork of one process that has imported the libraries already (the module under test excepted).
Lines that no test runs are reported as not covered (survivors too). One environment, one user-model shape.

Mutants listed in mutation/equivalent.txt (file, kind, the changed line, why) are reported apart: they change
no behaviour a user can see, so no test can kill them. The score is killed / (all - equivalent).

Usage (from python/, in the mutation environment; mutation/run.sh sets it up):
    mutate.py [--shape nb44] [--files pipeline.py ...] [--json report.json] [--min-score 90] [--no-confirm]
Exits 1 when the score is below --min-score, 2 when the unmutated suite fails.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PYTHON_DIR = Path(__file__).resolve().parents[1]
MODULE = "netbox_sso"
# Checks that the binary embeds the tested bytes: every mutant fails it (the binary is not rebuilt per mutant),
# which would count as a kill without any test noticing the change.
DESELECT = ["tests/test_shipped.py::test_binary_ships_the_tested_module"]


@dataclass
class Mutant:
    file: str
    line: int
    kind: str
    what: str
    source: str  # the whole mutated file
    changed_line: str  # the first original line the change touches, stripped
    end_line: int = 0
    status: str = "pending"  # killed | survived | not-covered | timeout | equivalent
    killed_by: str = ""
    seconds: float = 0.0
    note: str = ""


# --- making mutants ---------------------------------------------------------------------------------

COMPARE_SWAP = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
ARITH_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
SIMPLE_STATEMENTS = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Delete, ast.Assert)


class _Parents(ast.NodeVisitor):
    def __init__(self):
        self.skip: set[int] = set()  # ids of nodes not to mutate (docstrings, annotations, f-string parts)

    def visit(self, node):
        for name in ("annotation", "returns"):
            sub = getattr(node, name, None)
            if sub is not None:
                self.skip.update(id(n) for n in ast.walk(sub))
        if isinstance(node, ast.JoinedStr):
            self.skip.update(id(n) for n in ast.walk(node) if n is not node)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                self.skip.add(id(first))
                self.skip.add(id(first.value))
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            self.skip.add(id(node))
        self.generic_visit(node)


def _offsets(source: str) -> list[int]:
    """Byte offset of each line's start (ast columns are UTF-8 byte offsets)."""
    out, pos = [0], 0
    for line in source.encode("utf-8").splitlines(keepends=True):
        pos += len(line)
        out.append(pos)
    return out


def _splice(source: str, offsets, node, text: str) -> str:
    data = source.encode("utf-8")
    start = offsets[node.lineno - 1] + node.col_offset
    end = offsets[node.end_lineno - 1] + node.end_col_offset
    return (data[:start] + text.encode("utf-8") + data[end:]).decode("utf-8")


def _expr(node) -> str:
    return f"({ast.unparse(node)})"


def _const_changes(value):
    if isinstance(value, bool):
        return [(not value, f"{value} -> {not value}")]
    if isinstance(value, (int, float)):
        new = value + 1 if value != 1 else 0
        return [(new, f"{value!r} -> {new!r}")]
    if isinstance(value, str):
        if value:
            return [("", f"{value[:30]!r} -> ''")]
        return [("netbox-sso-mutant", "'' -> 'netbox-sso-mutant'")]
    return []


def mutants_of(name: str, source: str) -> list[Mutant]:
    tree = ast.parse(source)
    marks = _Parents()
    marks.visit(tree)
    offsets = _offsets(source)
    lines = source.splitlines()
    out: list[Mutant] = []
    seen = {source}

    def add(node, kind, what, new_source):
        if new_source in seen:
            return
        try:
            compile(new_source, name, "exec")
        except SyntaxError:
            return
        seen.add(new_source)
        out.append(Mutant(name, node.lineno, kind, what, new_source, lines[node.lineno - 1].strip(), node.end_lineno))

    def replace_expr(node, new_node, kind, what):
        add(node, kind, what, _splice(source, offsets, node, _expr(new_node)))

    for node in ast.walk(tree):
        if id(node) in marks.skip or not hasattr(node, "lineno"):
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                swapped = COMPARE_SWAP.get(type(op))
                if swapped:
                    new = copy.deepcopy(node)
                    new.ops[i] = swapped()
                    replace_expr(node, new, "compare", f"{type(op).__name__} -> {swapped.__name__}")
        elif isinstance(node, ast.BoolOp):
            new = copy.deepcopy(node)
            new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            replace_expr(node, new, "boolop", f"{type(node.op).__name__} -> {type(new.op).__name__}")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            replace_expr(node, node.operand, "not", "drop not")
        elif isinstance(node, ast.BinOp) and type(node.op) in ARITH_SWAP:
            new = copy.deepcopy(node)
            new.op = ARITH_SWAP[type(node.op)]()
            replace_expr(node, new, "arith", f"{type(node.op).__name__} -> {type(new.op).__name__}")
        elif isinstance(node, ast.Constant):
            for value, what in _const_changes(node.value):
                replace_expr(node, ast.Constant(value), "const", what)

        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            test = node.test
            # a lone comparison or a `not` is negated already by the compare and not mutants
            lone_compare = isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in COMPARE_SWAP
            if not lone_compare and not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)):
                replace_expr(test, ast.UnaryOp(ast.Not(), test), "cond", "negate condition")
        if isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None
        ):
            add(node, "return", "return None", _splice(source, offsets, node, "return None"))
        if isinstance(node, SIMPLE_STATEMENTS):
            add(node, "delete", f"drop {type(node).__name__.lower()}", _splice(source, offsets, node, "pass"))
        if isinstance(node, ast.Break):
            add(node, "loop", "break -> continue", _splice(source, offsets, node, "continue"))
        if isinstance(node, ast.Continue):
            add(node, "loop", "continue -> break", _splice(source, offsets, node, "break"))
    out.sort(key=lambda m: (m.file, m.line, m.kind, m.what))
    return out


# --- equivalents ------------------------------------------------------------------------------------


def load_equivalents(path: Path) -> list[dict]:
    """mutation/equivalent.txt: blocks of `file:`, `kind:`, `line:` (the changed line, stripped), `what:` and
    `why:` lines, separated by blank lines; # starts a comment."""
    entries, current = [], {}
    if not path.exists():
        return entries
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.rstrip()
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                entries.append(current)
                current = {}
            continue
        key, _, value = line.partition(":")
        current[key.strip()] = value.strip()
    return entries


def is_equivalent(m: Mutant, entries) -> str | None:
    for e in entries:
        if e.get("file") == m.file and e.get("kind") == m.kind and e.get("line") == m.changed_line and e.get(
            "what", m.what
        ) == m.what:
            return e.get("why", "")
    return None


# --- running ----------------------------------------------------------------------------------------


class Workspace:
    """A copy of python/ to mutate: the module, the tests and pytest.ini."""

    def __init__(self, root: Path):
        self.root = root
        self.dir = root / "python"
        self.dir.mkdir(parents=True)
        for name in (MODULE, "tests"):
            shutil.copytree(PYTHON_DIR / name, self.dir / name, ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pytest.ini", "module.go"):
            shutil.copy(PYTHON_DIR / name, self.dir / name)

    def module_file(self, name: str) -> Path:
        return self.dir / MODULE / name


def pytest_command(shape: str, tests: list[str] | None, first_failure: bool) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", "--ds", f"tests.settings_{shape}", "-q", "--no-header", "-p", "no:randomly"]
    if first_failure:
        cmd.append("-x")
    for node in DESELECT:
        cmd += ["--deselect", node]
    return cmd + (tests or [])


def warm_up(ws: Workspace) -> None:
    """Import what every test run needs, once, in this process: each run is a fork of it (run_tests), so it
    starts with these imported and pays only for the module under test, Django's set-up and its tests. Nothing
    of the module (netbox_sso) is imported here: each fork imports the mutated file afresh."""
    sys.path[:0] = [str(ws.dir), str(ws.dir / "tests" / "nbroot")]
    import cryptography.hazmat.primitives.asymmetric.rsa  # noqa: F401
    import django.test  # noqa: F401
    import jwt  # noqa: F401
    import pytest  # noqa: F401
    import pytest_django  # noqa: F401
    import requests  # noqa: F401
    import social_core.backends.keycloak  # noqa: F401
    import social_core.backends.open_id_connect  # noqa: F401
    import social_core.pipeline.social_auth  # noqa: F401
    import social_core.pipeline.user  # noqa: F401
    import yaml  # noqa: F401

    import tests.idp
    import tests.shipped

    for provider_type in ("keycloak", "oidc"):  # the settings module's renders, cached in tests.shipped
        tests.shipped.settings_for(tests.shipped.base_config(provider_type))
    for _ in range(3):  # the loopback identity provider's key pool: RSA keys are slow to make
        tests.idp.new_key()


def run_tests(ws: Workspace, shape: str, tests, env, timeout: float, first_failure=True):
    """Run pytest in a fork of this process; (passed?, first failing test or "", timed out?)."""
    out_path = ws.root / "pytest.out"
    args = pytest_command(shape, tests, first_failure)[3:]
    pid = os.fork()
    if pid == 0:  # child
        try:
            fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.chdir(ws.dir)
            os.environ.clear()
            os.environ.update(env)
            import pytest

            code = pytest.main(args)
            sys.stdout.flush()
            os._exit(int(code))
        except BaseException:  # noqa: BLE001 - whatever happens, the child must not return into the parent's code
            os._exit(99)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return False, "", True
        time.sleep(0.05)
    code = os.waitstatus_to_exitcode(status)
    failed = ""
    for line in out_path.read_text(errors="replace").splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            failed = line.split()[1]
            break
    return code == 0, failed or (f"pytest exit {code}" if code else ""), False


def test_map(ws: Workspace, shape: str, env) -> dict[str, dict[int, set[str]]]:
    """{file: {line: test node ids}} from one run of the suite under coverage (dynamic context: test function).
    Lines run outside any test (imports, fixture set-up) map to the empty string. Kept in
    python/.mutation-cache/, keyed by the module, the tests, the binary and the environment."""
    digest = hashlib.sha256()
    for path in sorted(list((ws.dir / MODULE).glob("*.py")) + list((ws.dir / "tests").rglob("*.py"))
                       + list((ws.dir / "tests").rglob("*.yaml"))):
        digest.update(str(path.relative_to(ws.dir)).encode() + b"\0" + path.read_bytes())
    digest.update(Path(env["NETBOX_SSO_BIN"]).read_bytes())
    digest.update(f"{shape} {env['NETBOX_SSO_TEST_NETBOX']} {sys.version}".encode())
    cached = PYTHON_DIR / ".mutation-cache" / f"map-{digest.hexdigest()[:24]}.json"
    if cached.exists():
        return {f: {int(k): set(v) for k, v in lines.items()} for f, lines in json.loads(cached.read_text()).items()}
    found = _measure(ws, shape, env)
    cached.parent.mkdir(exist_ok=True)
    cached.write_text(json.dumps({f: {k: sorted(v) for k, v in lines.items()} for f, lines in found.items()}))
    return found


def _measure(ws: Workspace, shape: str, env) -> dict[str, dict[int, set[str]]]:
    rc = ws.root / "coveragerc"
    data_file = ws.root / "coverage.data"
    rc.write_text(f"[run]\ndata_file = {data_file}\nsource = {ws.dir / MODULE}\ndynamic_context = test_function\n")
    cmd = [sys.executable, "-m", "coverage", "run", f"--rcfile={rc}"] + pytest_command(shape, None, False)[1:]
    run = subprocess.run(cmd, cwd=ws.dir, env=env, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stdout.write(run.stdout[-4000:] + run.stderr[-2000:])
        raise SystemExit("mutation: the suite fails without any mutant; fix that first")
    import coverage

    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    out: dict[str, dict[int, set[str]]] = {}
    for measured in data.measured_files():
        path = Path(measured)
        if path.parent != ws.dir / MODULE:
            continue
        per_line: dict[int, set[str]] = {}
        for line, contexts in data.contexts_by_lineno(measured).items():
            per_line[line] = {_node_id(c) for c in contexts}
        out[path.name] = per_line
    return out


def _node_id(context: str) -> str:
    """'tests.test_login.test_x' -> 'tests/test_login.py::test_x' ('' stays '')."""
    if not context:
        return ""
    parts = context.split(".")
    for i in range(len(parts) - 1, 0, -1):
        candidate = Path(*parts[:i]).with_suffix(".py")
        if candidate.parts[0] == "tests":
            return f"{candidate}::{'::'.join(parts[i:])}"
    return ""


def judge(m: Mutant, ws: Workspace, original: str, lines_map, shape, env, timeout, confirm=True) -> Mutant:
    started = time.monotonic()
    path = ws.module_file(m.file)
    span = range(m.line, m.end_line + 1)
    per_line = lines_map.get(m.file, {})
    contexts = set().union(*(per_line.get(line, set()) for line in span))
    if not contexts:
        m.status = "not-covered"
        return m
    tests = sorted(c for c in contexts if c)
    path.write_text(m.source, encoding="utf-8")
    try:
        if tests and "" not in contexts:
            ok, failed, timed_out = run_tests(ws, shape, tests, env, timeout)
            if not ok:
                m.status, m.killed_by = ("timeout" if timed_out else "killed"), failed
                return m
            if not confirm:
                m.status, m.note = "survived", "the tests that run its lines pass (not confirmed on the whole suite)"
                return m
        ok, failed, timed_out = run_tests(ws, shape, None, env, timeout)
        m.status = "survived" if ok else ("timeout" if timed_out else "killed")
        m.killed_by = failed
        return m
    finally:
        path.write_text(original, encoding="utf-8")
        m.seconds = time.monotonic() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", default="nb44", choices=["nb44", "nb45"])
    parser.add_argument("--files", nargs="*", help="module files to mutate (default: all)")
    parser.add_argument("--json", help="write every mutant's result here")
    parser.add_argument("--min-score", type=float, default=90.0)
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--no-confirm", action="store_true",
                        help="do not re-run the whole suite for mutants the covering tests miss (faster; the score is "
                             "then a lower bound)")
    args = parser.parse_args(argv)

    files = args.files or sorted(p.name for p in (PYTHON_DIR / MODULE).glob("*.py"))
    originals = {name: (PYTHON_DIR / MODULE / name).read_text(encoding="utf-8") for name in files}
    mutants = [m for name in files for m in mutants_of(name, originals[name])]
    equivalents = load_equivalents(Path(__file__).with_name("equivalent.txt"))
    if args.list:
        for m in mutants:
            print(f"{m.file}:{m.line}: {m.kind}: {m.what}: {m.changed_line}")
        print(f"{len(mutants)} mutants")
        return 0

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.setdefault("NETBOX_SSO_FIXTURES", str(PYTHON_DIR.parents[1] / "shared" / "fixtures" / "netbox-chart"))
    if not env.get("NETBOX_SSO_BIN") or not env.get("NETBOX_SSO_TEST_NETBOX"):
        raise SystemExit("mutation: NETBOX_SSO_BIN and NETBOX_SSO_TEST_NETBOX must be set (mutation/run.sh sets them)")

    with tempfile.TemporaryDirectory(prefix="netbox-sso-mutation-") as tmp:
        ws = Workspace(Path(tmp) / "w")
        started = time.monotonic()
        lines_map = test_map(ws, args.shape, env)
        baseline = time.monotonic() - started
        timeout = max(120.0, 5 * baseline)
        print(f"mutation: {len(mutants)} mutants of {', '.join(files)}; suite under coverage took {baseline:.0f}s",
              flush=True)

        os.environ.update(env)
        warm_up(ws)
        todo = []
        for m in mutants:
            why = is_equivalent(m, equivalents)
            if why is not None:
                m.status, m.note = "equivalent", why
            else:
                todo.append(m)
        for done, m in enumerate(todo, 1):
            judge(m, ws, originals[m.file], lines_map, args.shape, env, timeout, confirm=not args.no_confirm)
            if m.status in ("survived", "not-covered"):  # as they come, so an interrupted run still tells
                print(f"\n{m.status.upper()}: {m.file}:{m.line}: {m.kind}: {m.what}: {m.changed_line}", flush=True)
            else:
                print("t" if m.status == "timeout" else ".", end="", flush=True)
            if done % 20 == 0:
                print(f" [{done}/{len(todo)}]", flush=True)
        print()

    counts = {s: sum(1 for m in mutants if m.status == s) for s in ("killed", "timeout", "survived", "not-covered", "equivalent")}
    judged = len(mutants) - counts["equivalent"]
    killed = counts["killed"] + counts["timeout"]
    score = 100.0 * killed / judged if judged else 100.0
    print("surviving mutants:")
    for m in mutants:
        if m.status in ("survived", "not-covered"):
            print(f"{m.status.upper()}: {m.file}:{m.line}: {m.kind}: {m.what}: {m.changed_line}"
                  + (f"  ({m.note})" if m.note else ""))
    for m in mutants:
        if m.status == "equivalent":
            print(f"equivalent: {m.file}:{m.line}: {m.kind}: {m.what}: {m.changed_line}  ({m.note})")
    print(f"mutation: {len(mutants)} mutants, {killed} killed ({counts['timeout']} by timeout), "
          f"{counts['survived']} survived, {counts['not-covered']} not covered, {counts['equivalent']} equivalent: "
          f"score {score:.1f}% (killed / non-equivalent; minimum {args.min_score:g}%)")
    if args.json:
        Path(args.json).write_text(json.dumps([{k: v for k, v in m.__dict__.items() if k != "source"} for m in mutants],
                                              indent=1))
    return 0 if score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
