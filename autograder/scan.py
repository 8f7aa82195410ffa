"""A static scan of what students wrote, for a human to look at: never a penalty by itself.

Two families of flags, each with the cell (its grade_id, or "cell N") and the line that raised it:

- tampering and escapes: monkeypatching numpy, `course`, the notebook's helpers or builtins;
  `sys.modules`; trace hooks, frames and the garbage collector; IPython hooks (input
  transformers, events, magics); file access; processes, signals and exits; the network;
  dynamic code (exec, eval, __import__); rebinding names the tests rely on. A hidden test cannot
  defend itself against code that ran before it in the same process (see canary.py for the
  run-time side); this says where to look.
- using the reference engine instead of implementing the rule (`engine` flags): a solution
  cell that calls the engine's derivatives (`course.grad`, `course.vjp`, `.backward()`, a rule
  table of `course.ops`, ...) where its exercise does not allow it, directly or through a helper
  of the notebook that does (`engine_gradients`). What each exercise may use is data, in
  engine_policy.toml beside this file.
- copying the engine (`engine-copy` flags): a solution cell near-identical, on normalised
  tokens, to a function or method of the engine's source (`course/`), renamed variables or not
  (similarity.py; needs the released notebook as `reference`, to leave its lines out).

    flags = scan_notebook(submitted_nb, reference=release_nb, assignment="06-higher-order")
    flags += scan_submission_files(submitted_folder, release_folder)
    for flag in flags: print(flag.text())
"""

from __future__ import annotations

import ast
import builtins
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from autograder import similarity
from autograder.cells import (cell_name, cells_by_id, grade_id, imported_names, is_locked,
                              is_solution, is_test, nbgrader_meta)

POLICY_FILE = Path(__file__).with_name("engine_policy.toml")

KINDS = ("tamper", "monkeypatch", "builtins", "sys-modules", "hooks", "ipython", "files",
         "processes", "network", "dynamic-code", "introspection", "shadowing", "engine",
         "engine-copy", "submitted-file", "syntax")
THROWAWAY_NAMES = ("_", "__", "___")  # dummies, and IPython rebinds them after every output


@dataclass(frozen=True)
class Flag:
    """One thing for a person to look at. kind: one of KINDS; cell: the grade_id of the cell
    ("cell N" for a cell without one, a file name for a file); line: 1-based line in the cell (0
    when unknown); code: that line; message: what it does and why it matters."""

    kind: str
    cell: str
    line: int
    code: str
    message: str

    def text(self):
        where = f"{self.cell}, line {self.line}" if self.line else self.cell
        code = f"\n    {self.code}" if self.code else ""
        return f"[{self.kind}] {where}: {self.message}{code}"

    def as_dict(self):
        return {"kind": self.kind, "cell": self.cell, "line": self.line, "code": self.code,
                "message": self.message}


# --- what is suspicious ------------------------------------------------------------------------
# module -> kind, for calls and attribute uses of that module (after imports are resolved)

MODULE_KINDS = {
    "subprocess": "processes", "multiprocessing": "processes", "pty": "processes",
    "signal": "processes", "concurrent": "processes", "threading": "processes",
    "_thread": "processes", "asyncio.subprocess": "processes",
    "socket": "network", "ssl": "network", "urllib": "network", "http": "network",
    "requests": "network", "ftplib": "network", "smtplib": "network", "telnetlib": "network",
    "zmq": "network", "httpx": "network", "aiohttp": "network", "xmlrpc": "network",
    "shutil": "files", "tempfile": "files", "glob": "files", "fileinput": "files",
    "pathlib": "files", "io": "files",
    "ctypes": "hooks", "gc": "hooks", "atexit": "hooks", "faulthandler": "hooks",
    "inspect": "introspection", "dis": "introspection", "marshal": "dynamic-code",
    "importlib": "dynamic-code", "runpy": "dynamic-code", "pickle": "dynamic-code",
    "builtins": "builtins", "IPython": "ipython", "ipykernel": "ipython",
    "sys.modules": "sys-modules",
}
# module.attribute -> kind, for the modules that are fine to use otherwise
ATTRIBUTE_KINDS = {
    "os": {"system": "processes", "popen": "processes", "fork": "processes",
           "forkpty": "processes", "kill": "processes", "killpg": "processes",
           "_exit": "processes", "abort": "processes", "setsid": "processes",
           "spawnl": "processes", "spawnv": "processes", "spawnve": "processes",
           "posix_spawn": "processes", "execv": "processes", "execve": "processes",
           "execl": "processes", "execvp": "processes", "execlp": "processes",
           "nice": "processes", "wait": "processes", "waitpid": "processes",
           "open": "files", "remove": "files", "unlink": "files", "rename": "files",
           "replace": "files", "rmdir": "files", "removedirs": "files", "makedirs": "files",
           "mkdir": "files", "chmod": "files", "chown": "files", "symlink": "files",
           "link": "files", "truncate": "files", "listdir": "files", "scandir": "files",
           "walk": "files", "chdir": "files", "utime": "files", "write": "files",
           "read": "files", "dup2": "ipython", "fdopen": "files", "environ": None,
           "getcwd": None},
    "sys": {"settrace": "hooks", "setprofile": "hooks", "addaudithook": "hooks",
            "excepthook": "hooks", "displayhook": "hooks", "breakpointhook": "hooks",
            "monitoring": "hooks", "_getframe": "introspection", "setrecursionlimit": None,
            "modules": "sys-modules", "meta_path": "sys-modules", "path_hooks": "sys-modules",
            "path_importer_cache": "sys-modules", "exit": "processes",
            "stdout": None, "stderr": None, "__stdout__": "ipython", "__stderr__": "ipython"},
    "numpy": {"save": "files", "savez": "files", "savetxt": "files", "load": "files",
              "loadtxt": "files", "genfromtxt": "files", "fromfile": "files", "memmap": "files"},
    "contextlib": {"redirect_stdout": "ipython", "redirect_stderr": "ipython"},
    "types": {"FunctionType": "dynamic-code", "CodeType": "dynamic-code"},
    "asyncio": {"open_connection": "network", "create_subprocess_exec": "processes",
                "create_subprocess_shell": "processes"},
}
BUILTIN_CALLS = {
    "open": ("files", "opens a file"),
    "exec": ("dynamic-code", "runs code from a string"),
    "eval": ("dynamic-code", "evaluates code from a string"),
    "compile": ("dynamic-code", "compiles code from a string"),
    "__import__": ("dynamic-code", "imports a module by name"),
    "globals": ("dynamic-code", "reaches the notebook's namespace as a dict"),
    "vars": ("dynamic-code", "reaches a namespace as a dict"),
    "locals": ("dynamic-code", "reaches a namespace as a dict"),
    "setattr": ("monkeypatch", "sets an attribute by name"),
    "delattr": ("monkeypatch", "deletes an attribute by name"),
    "get_ipython": ("ipython", "reaches the IPython shell that runs the tests"),
    "exit": ("processes", "ends the kernel"),
    "quit": ("processes", "ends the kernel"),
    "breakpoint": ("hooks", "enters the debugger"),
}
# attribute names that are suspicious on any object
ANY_ATTRIBUTES = {
    "f_back": "introspection", "f_globals": "introspection", "f_locals": "introspection",
    "f_builtins": "introspection", "f_trace": "hooks", "tb_frame": "introspection",
    "gi_frame": "introspection", "cr_frame": "introspection",
    "__code__": "introspection", "__globals__": "introspection", "__closure__": "introspection",
    "__subclasses__": "introspection", "__builtins__": "builtins", "__dict__": None,
    "input_transformers_cleanup": "ipython", "input_transformers_post": "ipython",
    "ast_transformers": "ipython", "register_magic_function": "ipython",
    "run_cell": "ipython", "run_line_magic": "ipython", "run_cell_magic": "ipython",
    "system": None, "showtraceback": "ipython", "display_pub": "ipython",
    "write_text": "files", "write_bytes": "files", "read_text": "files", "read_bytes": "files",
    "unlink": "files", "rmdir": "files", "touch": "files", "iterdir": "files", "rglob": "files",
}
KIND_WORDS = {
    "processes": "starts or ends processes, or sends signals",
    "network": "uses the network",
    "files": "reads or writes files",
    "hooks": "hooks into the interpreter (tracing, frames, the garbage collector, C memory)",
    "introspection": "reaches into code objects, frames or namespaces",
    "dynamic-code": "runs or imports code built at run time",
    "builtins": "changes Python's builtins",
    "ipython": "changes how IPython runs or shows cells (the tests run through it)",
    "sys-modules": "changes which modules are imported (sys.modules, import hooks)",
}


# --- the engine policy -------------------------------------------------------------------------

@dataclass
class Policy:
    """Which engine names count as the engine's derivatives (categories), and which of them
    each exercise may use. allowed(assignment, grade_id) -> set of names."""

    categories: dict
    attributes: set
    default_allow: set
    exercises: dict = field(default_factory=dict)

    @property
    def engine_names(self):
        return set().union(*self.categories.values())

    def allowed(self, assignment, grade_id):
        entry = self.exercises.get(f"{assignment}/{grade_id}") or self.exercises.get(grade_id) or {}
        names = set(self.default_allow)
        for item in entry.get("allow", []):
            names |= set(self.categories.get(item, [item]))
        for item in entry.get("forbid", []):
            names -= set(self.categories.get(item, [item]))
        return names

    def category_of(self, name):
        return next((c for c, names in self.categories.items() if name in names), "engine")


def load_policy(path=POLICY_FILE):
    """The engine policy from its TOML file (see engine_policy.toml for the format)."""
    data = tomllib.loads(Path(path).read_text())
    engine = data["engine"]
    categories = {k: set(v) for k, v in engine.items() if k != "attributes"}
    return Policy(categories=categories, attributes=set(engine.get("attributes", [])),
                  default_allow=set(data.get("default", {}).get("allow", [])),
                  exercises=data.get("exercise", {}))


# --- the notebook ------------------------------------------------------------------------------

def scan_notebook(nb, reference=None, assignment=None, policy=None):
    """Flags for every cell a student wrote in notebook `nb`.

    reference: the assignment's own notebook (release or source): its non-solution cells define
    the helpers and names the tests rely on, and a cell of `nb` that is not a solution cell is
    scanned only if it differs from every reference cell (the student wrote or changed it).
    Without a reference, `nb` serves as its own (solution cells and cells without nbgrader
    metadata are scanned). assignment: its name, for per-assignment policy entries."""
    policy = policy or load_policy()
    reference = reference if reference is not None else nb
    context = _Context.of(nb, reference, policy)
    known = {c.source for c in reference.cells if c.cell_type == "code"}
    released = cells_by_id(reference) if reference is not nb else None
    flags = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if is_solution(cell):
            flags += scan_cell(cell.source, cell_name(cell, index), context,
                               grade_id=grade_id(cell), assignment=assignment)
            if released is not None:
                given = released.get(grade_id(cell))
                flags += engine_copy_flags(cell.source, cell_name(cell, index),
                                           given.source if given is not None else "")
        elif is_test(cell) or is_locked(cell):
            continue      # nbgrader puts the assignment's own version back before grading
        elif cell.source.strip() and (cell.source not in known if reference is not nb
                                      else not nbgrader_meta(cell)):
            flags += scan_cell(cell.source, f"cell {index + 1}", context, grade_id=None,
                               assignment=assignment)
    return flags


def scan_cell(source, cell_name, context, grade_id=None, assignment=None):
    """Flags for one cell's code. grade_id: the exercise, for the engine policy (None: a cell
    that is not an exercise, checked for tampering only)."""
    tree, error = _parse(source)
    lines = source.splitlines()
    if tree is None:
        line = error.lineno or 0 if error else 0
        return [Flag("syntax", cell_name, line, _line(lines, line),
                     f"could not be read as Python ({error.msg if error else 'unknown'}), so "
                     f"it was not scanned")]
    visitor = _Visitor(context, cell_name, lines, exercise=grade_id is not None)
    visitor.visit(tree)
    flags = visitor.flags
    if grade_id is not None:
        flags += _engine_flags(tree, lines, cell_name, context,
                               context.policy.allowed(assignment, grade_id))
    return _unique(flags)


def engine_copy_flags(source, cell_name, boilerplate=""):
    """A flag when a solution cell is near-identical to a function of the engine's source (the
    closest one), at the first line they share. boilerplate: the released cell."""
    fp = similarity.fingerprint(source, boilerplate)
    matches = similarity.engine_matches(fp.hashes) if fp is not None else []
    if not matches:
        return []
    function, part = matches[0]
    shared = fp.hashes & function.fingerprint.hashes
    line = min(fp.lines[h][0] for h in shared)
    return [Flag("engine-copy", cell_name, line, _line(source.splitlines(), line),
                 f"{part:.0%} of it is the engine's own code ({function.where}), on "
                 f"normalised tokens: written, or copied from course/?")]


def scan_submission_files(folder, release_folder=None):
    """Flags for files handed in beside the notebook that the release does not have: a .py file
    or a package would be imported instead of numpy or course (the kernel runs in that folder)."""
    folder = Path(folder)
    expected = set()
    if release_folder is not None:
        expected = {p.relative_to(release_folder).as_posix()
                    for p in Path(release_folder).rglob("*")}
    flags, packages = [], []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel in expected or path.suffix == ".ipynb" or rel == "timestamp.txt" or \
                ".ipynb_checkpoints" in rel or any(rel.startswith(p + "/") for p in packages):
            continue
        if path.is_dir() and (path / "__init__.py").exists():
            packages.append(rel)
        if path.is_file() and path.suffix in (".py", ".pth", ".so", ".pyc") or \
                path.is_dir() and (path / "__init__.py").exists():
            flags.append(Flag("submitted-file", rel, 0, "",
                              f"a Python module handed in beside the notebook: `import "
                              f"{path.stem}` in the notebook or the tests would load it"))
        elif path.is_file() and release_folder is not None:
            flags.append(Flag("submitted-file", rel, 0, "",
                              "a file handed in beside the notebook that the release does not "
                              "have"))
    return flags


# --- what a notebook defines -------------------------------------------------------------------

@dataclass
class _Context:
    policy: Policy
    aliases: dict          # global name -> dotted path ("np" -> "numpy", "check_vjp" -> ...)
    protected: dict        # name the tests rely on -> (the cell that defines it, locked?)
    engine_helpers: dict   # function name -> (cell, {engine names it uses})
    reference_aliases: dict = field(default_factory=dict)   # the assignment's own imports

    @classmethod
    def of(cls, nb, reference, policy):
        aliases, protected, functions = {}, {}, {}
        cells = []
        for index, cell in enumerate(reference.cells):
            if cell.cell_type != "code":
                continue
            tree, _ = _parse(cell.source)
            if tree is not None:
                cells.append((cell_name(cell, index), cell, tree))
        for _, _, tree in cells:
            for node in tree.body:
                aliases.update(imported_names(node))
                for target in _assigned_aliases(node):
                    aliases.setdefault(*target)
        reference_aliases = dict(aliases)
        for cell in nb.cells:            # the student's own imports and aliases, after those
            tree, _ = _parse(cell.source) if cell.cell_type == "code" else (None, None)
            for node in ast.walk(tree) if tree is not None else ():
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    for alias, target in imported_names(node).items():
                        aliases.setdefault(alias, target)
            for node in tree.body if tree is not None else ():
                for target in _assigned_aliases(node):
                    aliases.setdefault(*target)
        # what the tests rely on: names the locked cells bind, and names the test cells read
        # that another (non-exercise) cell binds, e.g. a function defined in a demo cell
        solution_names = set().union(*[_bound_names(t) for _, c, t in cells if is_solution(c)])
        binders = {}
        for name, cell, tree in cells:
            if not (is_solution(cell) or is_test(cell)):
                for bound in _bound_names(tree):
                    binders.setdefault(bound, (name, is_locked(cell)))
        for bound, (name, locked) in binders.items():
            if locked:
                protected[bound] = (name, True)
        for _, cell, tree in cells:
            if is_test(cell):
                for loaded in _loaded_names(tree) - _bound_names(tree):
                    if loaded in binders:
                        protected.setdefault(loaded, (binders[loaded][0], False))
        protected = {k: v for k, v in protected.items()
                     if k not in solution_names and k not in THROWAWAY_NAMES}
        # the functions of every cell (the student's too), and the engine names they use
        context = cls(policy, aliases, protected, {}, reference_aliases)
        student_cells = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                tree, _ = _parse(cell.source)
                if tree is not None:
                    student_cells.append((cell_name(cell, index), tree))
        for name, tree in [(n, t) for n, _, t in cells] + student_cells:
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    uses = {u for u, _ in _engine_uses(node, context)}
                    calls = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                    old = functions.get(node.name, (name, set(), set()))
                    functions[node.name] = (old[0], old[1] | uses, old[2] | calls)
        changed = True
        while changed:          # a helper that calls a helper that uses the engine uses it too
            changed = False
            for fname, (cell, uses, calls) in functions.items():
                more = set().union(*(functions[c][1] for c in calls
                                     if c in functions and c != fname))
                if not more <= uses:
                    functions[fname] = (cell, uses | more, calls)
                    changed = True
        context.engine_helpers = {f: (cell, uses) for f, (cell, uses, _) in functions.items()
                                  if uses}
        return context

    def resolve(self, node):
        """The dotted path of a Name/Attribute chain, with the root resolved through imports
        ('np.allclose' -> 'numpy.allclose'), or None for something else."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        root = self.aliases.get(node.id, node.id)
        return ".".join([root] + list(reversed(parts)))


def _parse(source):
    try:
        return ast.parse(source), None
    except SyntaxError as error:
        try:
            from IPython.core.inputtransformer2 import TransformerManager

            return ast.parse(TransformerManager().transform_cell(source)), None
        except Exception:   # noqa: BLE001  (IPython missing, or still not Python)
            return None, error


def _assigned_aliases(node):
    """(name, 'course.grad') for a top-level `name = course.grad` or `name = np`."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
            isinstance(node.targets[0], ast.Name) and \
            isinstance(node.value, (ast.Name, ast.Attribute)):
        parts, value = [], node.value
        while isinstance(value, ast.Attribute):
            parts.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name):
            yield node.targets[0].id, ".".join([value.id] + list(reversed(parts)))


def _bound_names(tree):
    """Names a cell binds at its top level (not inside functions or classes)."""
    names = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(imported_names(node))
            return
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for statement in tree.body:
        visit(statement)
    return names


def _loaded_names(tree):
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _line(lines, number):
    return lines[number - 1].strip() if 0 < number <= len(lines) else ""


def _unique(flags):
    seen, out = set(), []
    for flag in flags:
        key = (flag.kind, flag.cell, flag.line)
        if key not in seen:
            seen.add(key)
            out.append(flag)
    return out


# --- tampering ---------------------------------------------------------------------------------

class _Visitor(ast.NodeVisitor):
    """Walks one cell, keeping track of function scopes (a parameter named `np` is not numpy)."""

    def __init__(self, context, cell, lines, exercise):
        self.context, self.cell, self.lines = context, cell, lines
        self.exercise = exercise   # a solution cell (else: a cell the student added or changed)
        self.flags = []
        self.scopes = [set()]      # local names of the enclosing functions
        self.depth = 0             # > 0 inside a function or class body

    def flag(self, kind, node, message):
        line = getattr(node, "lineno", 0)
        self.flags.append(Flag(kind, self.cell, line, _line(self.lines, line), message))

    def is_local(self, name):
        return any(name in scope for scope in self.scopes[1:])

    def root(self, node):
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            node = node.value if not isinstance(node, ast.Call) else node.func
        return node.id if isinstance(node, ast.Name) else None

    def resolve(self, node):
        root = self.root(node)
        if root is None or self.is_local(root):
            return None
        return self.context.resolve(node)

    # scopes
    def _function(self, node):
        if self.depth == 0:
            self._rebinds(node.name, node)
        for decorator in node.decorator_list:
            self.visit(decorator)
        args = node.args
        names = {a.arg for a in args.args + args.posonlyargs + args.kwonlyargs}
        names |= {a.arg for a in (args.vararg, args.kwarg) if a}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                names.add(sub.id)
        globals_ = {n for sub in ast.walk(node) if isinstance(sub, ast.Global) for n in sub.names}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Global):
                for name in sub.names:
                    if self.protected(name) or name in self.context.aliases or \
                            name in _BUILTIN_NAMES:
                        self.flag("shadowing", sub, f"declares `{name}` global in a function: "
                                  f"calling it rebinds a name the tests use")
        self.scopes.append(names - globals_)
        self.depth += 1
        for item in node.body:
            self.visit(item)
        self.depth -= 1
        self.scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node):
        args = node.args
        self.scopes.append({a.arg for a in args.args + args.posonlyargs + args.kwonlyargs})
        self.visit(node.body)
        self.scopes.pop()

    def visit_ClassDef(self, node):
        if self.depth == 0:
            self._rebinds(node.name, node)
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    # imports
    def visit_Import(self, node):
        self._import(node, [a.name for a in node.names])

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self._import(node, [module] + [f"{module}.{a.name}" for a in node.names])

    def _import(self, node, modules):
        for module in modules:
            kind = _module_kind(module)
            if kind:
                self.flag(kind, node, f"imports {module}: {KIND_WORDS.get(kind, kind)}")
                break
        if self.depth == 0:
            for name, target in imported_names(node).items():
                if self.protected(name) and self.context.reference_aliases.get(name) != target:
                    self.flag("shadowing", node, f"rebinds `{name}`, which "
                              f"{self.protected(name)} defines and the tests use")

    # assignments
    def visit_Assign(self, node):
        for target in node.targets:
            self._store(target, node)
        self.visit(node.value)

    def visit_AugAssign(self, node):
        self._store(node.target, node)
        self.visit(node.value)

    def visit_AnnAssign(self, node):
        self._store(node.target, node)
        if node.value:
            self.visit(node.value)

    def visit_Delete(self, node):
        for target in node.targets:
            self._store(target, node, deleting=True)

    def visit_For(self, node):
        self._store(node.target, node)
        self.generic_visit(node)

    def visit_With(self, node):
        for item in node.items:
            if item.optional_vars is not None:
                self._store(item.optional_vars, node)
        self.generic_visit(node)

    def visit_NamedExpr(self, node):
        self._store(node.target, node)
        self.visit(node.value)

    def _store(self, target, node, deleting=False):
        verb = "deletes" if deleting else "replaces"
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store(element, node, deleting)
            return
        if isinstance(target, ast.Starred):
            self._store(target.value, node, deleting)
            return
        if isinstance(target, ast.Name):
            if self.depth == 0 and not self.is_local(target.id):
                self._rebinds(target.id, node)
            if target.id == "__builtins__":
                self.flag("builtins", node, f"{verb} __builtins__")
            return
        if isinstance(target, ast.Subscript):
            path = self.resolve(target.value)
            if path and (path.startswith("sys.modules") or path in ("sys.meta_path",)):
                self.flag("sys-modules", node, f"{verb} an entry of {path}: a different module "
                          f"would be imported")
            elif path and _module_path(path, self.context):
                self.flag("monkeypatch", node, f"{verb} an entry of {path}")
            elif isinstance(target.value, ast.Call) and self.root(target.value) in (
                    "globals", "vars", "locals"):
                self.flag("dynamic-code", node, f"{verb} a name through "
                          f"{self.root(target.value)}()")
            elif self.root(target) == "__builtins__":
                self.flag("builtins", node, f"{verb} a builtin through __builtins__")
            self.visit(target)
            return
        if isinstance(target, ast.Attribute):
            path = self.resolve(target)
            root = self.root(target)
            if path and path.split(".")[0] in ("builtins", "__builtins__"):
                self.flag("builtins", node, f"{verb} builtin {path.split('.', 1)[-1]}")
            elif path and path.startswith("sys.") and path.split(".")[1] in (
                    "stdout", "stderr", "__stdout__", "__stderr__"):
                self.flag("ipython", node, f"{verb} {path}: the tests' output (and errors) "
                          f"could be hidden")
            elif path and path.startswith("sys."):
                kind = ATTRIBUTE_KINDS["sys"].get(path.split(".")[1]) or "hooks"
                self.flag(kind, node, f"{verb} {path}")
            elif path and _module_path(path, self.context):
                self.flag("monkeypatch", node, f"{verb} {path}: "
                          f"{_owner_words(path)}")
            elif root and self.protected(root) and not self.is_local(root):
                self.flag("monkeypatch", node, f"{verb} {ast.unparse(target)} on `{root}`, "
                          f"which {self.protected(root)} defines and the tests use")
            elif target.attr.startswith("__") and target.attr.endswith("__"):
                self.flag("introspection", node, f"{verb} the special attribute "
                          f"{target.attr} of {ast.unparse(target.value)}")
            self.visit(target.value)

    def protected(self, name):
        """The cell that defines `name` for the tests, if this cell must not rebind it: a
        locked cell's name always; a name of another cell the tests read, in an exercise."""
        where, locked = self.context.protected.get(name, (None, False))
        return where if where and (locked or self.exercise) else None

    def _rebinds(self, name, node):
        if self.protected(name):
            self.flag("shadowing", node, f"rebinds `{name}`, which {self.protected(name)} "
                      f"defines and the tests use")
        elif name in _BUILTIN_NAMES:
            self.flag("shadowing", node, f"rebinds `{name}` for the whole notebook: it hides "
                      f"the builtin the tests use")

    # uses
    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and not self.is_local(func.id) and \
                func.id not in self.context.aliases:
            entry = BUILTIN_CALLS.get(func.id)
            if entry:
                kind, words = entry
                if func.id in ("setattr", "delattr") and node.args:
                    target = self.resolve(node.args[0])
                    words += f" on {ast.unparse(node.args[0])}"
                    if target and target.split(".")[0] in ("builtins", "__builtins__"):
                        kind = "builtins"
                    elif target and target.startswith("sys"):
                        kind = "sys-modules" if "modules" in target else "hooks"
                if func.id == "open" and node.args:
                    words += f" ({ast.unparse(node.args[0])[:60]})"
                self.flag(kind, node, f"{func.id}() {words}")
        self.generic_visit(node)

    def visit_Attribute(self, node):
        path = self.resolve(node)
        if path:
            kind, words = _attribute_kind(path)
            if kind:
                self.flag(kind, node, f"uses {path}: {words}")
        kind = ANY_ATTRIBUTES.get(node.attr)
        if kind and not (path and _attribute_kind(path)[0]):
            self.flag(kind, node, f"uses .{node.attr}: {KIND_WORDS.get(kind, kind)}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id == "__builtins__":
            self.flag("builtins", node, "uses __builtins__ (the builtins as a namespace)")
        elif isinstance(node.ctx, ast.Load) and not self.is_local(node.id):
            path = self.context.aliases.get(node.id)
            if path:
                kind, words = _attribute_kind(path)
                if kind:
                    self.flag(kind, node, f"uses {path}: {words}")


_BUILTIN_NAMES = {n for n in dir(builtins) if not n.startswith("_")} - {
    "copyright", "credits", "license", "help"}


def _module_kind(module):
    for prefix, kind in MODULE_KINDS.items():
        if module == prefix or module.startswith(prefix + "."):
            return kind
    return None


def _attribute_kind(path):
    """(kind, words) for a resolved dotted path such as 'os.system' or 'subprocess.run'."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        module, rest = ".".join(parts[:i]), parts[i:]
        if module in ATTRIBUTE_KINDS and rest:
            kind = ATTRIBUTE_KINDS[module].get(rest[0])
            return (kind, KIND_WORDS.get(kind, kind)) if kind else (None, "")
    kind = _module_kind(path)
    return (kind, KIND_WORDS.get(kind, kind)) if kind else (None, "")


def _module_path(path, context):
    """True when `path` (resolved) is an attribute of an imported module or of an object
    imported from one: numpy.allclose, course.gradcheck.check_vjp, course.Value.__add__."""
    root = path.split(".")[0]
    imported_roots = {target.split(".")[0] for target in context.aliases.values()}
    return "." in path and (root in imported_roots or root in ("numpy", "course", "math",
                                                                "matplotlib", "builtins"))


def _owner_words(path):
    root = path.split(".")[0]
    if root == "numpy":
        return "numpy is what the tests compare with"
    if root == "course":
        return "the course package is the checker and the reference the tests rely on"
    return "a module the notebook imports, for every later cell (the tests too)"


# --- the engine policy -------------------------------------------------------------------------

def _engine_uses(tree, context):
    """[(engine name, node)] for every use of the reference engine's derivatives in `tree`."""
    engine = context.policy.engine_names
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)) and isinstance(node.ctx, ast.Load):
            path = context.resolve(node)
            if path and (path == "course" or path.startswith("course.")):
                for part in path.split(".")[1:]:
                    if part in engine:
                        found.append((part, node))
            elif isinstance(node, ast.Attribute) and node.attr in context.policy.attributes:
                found.append((node.attr, node))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in imported_names(node).values():
                if target.startswith("course."):
                    for part in target.split(".")[1:]:
                        if part in engine:
                            found.append((part, node))
    return found


def _engine_flags(tree, lines, cell_name, context, allowed):
    flags = []
    engine = context.policy.engine_names
    for name, node in _engine_uses(tree, context):
        if name in allowed or name not in engine | context.policy.attributes:
            continue
        line = getattr(node, "lineno", 0)
        category = context.policy.category_of(name)
        flags.append(Flag("engine", cell_name, line, _line(lines, line),
                          f"uses the reference engine's {name} ({category}), which this "
                          f"exercise does not allow: is the rule implemented, or borrowed?"))
    defined = {n.name for n in tree.body
               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                node.id in context.engine_helpers and node.id not in defined:
            where, uses = context.engine_helpers[node.id]
            bad = sorted(uses - allowed)
            if bad:
                line = node.lineno
                flags.append(Flag("engine", cell_name, line, _line(lines, line),
                                  f"calls {node.id} (defined in {where}), which uses the "
                                  f"reference engine ({', '.join(bad)}): this exercise does "
                                  f"not allow it"))
    return flags
