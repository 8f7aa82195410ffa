"""The code the canary cell runs in the student's kernel (canary.py pastes it, as text).

`_canary(params, namespace)` checks, in the kernel, after the hidden tests: that the modules,
the functions of the `course` package, the numpy functions the tests use, the notebook's own
helpers and imports and the builtins are the real ones; that no hook could rewrite or silence a
test; and that the gradient checks, numpy and the engine still tell right from wrong. It prints
one line, `<prefix> <nonce> <json report>`, which canary.read_canary reads back.

The module is this docstring and one function, pasted into the cell as text, then
`_canary(...)` and `del _canary`: the function imports what it needs (the standard library, and
what the notebook imported already) and leaves nothing behind in the notebook's namespace.
Tests import the module and call `_canary` on a namespace of their own.
"""


def _canary(params, namespace):
    """Check `namespace` (the notebook's globals) and the process it runs in; print the report.

    params: canary.canary_parameters: prefix, nonce, numpy_dir, course_dir, helpers (name:
    source of each function or class a locked cell defines), imports (name: dotted path the
    locked cells bind), numpy_names (np.<name> the tests use)."""
    import builtins
    import hashlib
    import json
    import os
    import sys
    import threading
    import types
    import warnings

    problems = []
    counter = [0]

    def problem(what, obj=None, severity="tamper"):
        code = getattr(obj, "__code__", None)
        where = [code.co_filename, code.co_firstlineno] if code is not None else None
        problems.append({"what": what, "where": where, "severity": severity})

    def check(condition, what, obj=None):
        counter[0] += 1
        if not condition:
            problem(what, obj)

    def raises(function, *args, **kwargs):
        try:
            function(*args, **kwargs)
        except AssertionError:
            return True
        except Exception:           # noqa: BLE001  (any other error: not a rejection)
            return "error"
        return False

    def fingerprint(code):
        parts = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode(),
                 repr(code.co_freevars).encode(), str(code.co_argcount).encode()]
        for const in code.co_consts:
            parts.append(fingerprint(const).encode() if isinstance(const, types.CodeType)
                         else repr(const).encode())
        return hashlib.sha256(b"\0".join(parts)).hexdigest()

    def all_codes(code, found):
        found.setdefault(code.co_name, set()).add(fingerprint(code))
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                all_codes(const, found)
        return found

    def unwrap(obj):
        for _ in range(5):
            if isinstance(obj, (staticmethod, classmethod)):
                obj = obj.__func__
            elif isinstance(obj, property):
                obj = obj.fget
            elif getattr(obj, "__wrapped__", None) is not None:
                obj = obj.__wrapped__
            else:
                break
        return obj

    def inside(path, folder):
        path = os.path.realpath(path or "")
        return path == folder or path.startswith(folder + os.sep)

    def describe(obj):
        code = getattr(obj, "__code__", None)
        if code is not None:
            return f"a function defined in {code.co_filename}, line {code.co_firstlineno}"
        return f"a {type(obj).__name__}"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np = sys.modules.get("numpy")
        course_dir, numpy_dir = params["course_dir"], params["numpy_dir"]

        # -- modules are the real ones -----------------------------------------------------
        check(np is not None and inside(getattr(np, "__file__", ""), numpy_dir),
              "sys.modules['numpy'] is not numpy")
        course = sys.modules.get("course")
        check(course is not None and inside(getattr(course, "__file__", ""), course_dir),
              "sys.modules['course'] is not the course package")

        # -- every function of the course package is the one on disk -----------------------
        installed = [numpy_dir, course_dir, os.path.dirname(os.path.realpath(os.__file__))]

        def trusted(filename):
            return any(inside(filename, folder) for folder in installed) or \
                "site-packages" in filename or "dist-packages" in filename

        modules, codes_by_file = {}, {}
        for name, module in sorted(sys.modules.items()):
            if not (name == "course" or name.startswith("course.")) or module is None:
                continue
            path = getattr(module, "__file__", None) or ""
            if not inside(path, course_dir):
                problem(f"sys.modules[{name!r}] is not course's module (its file: {path})")
                continue
            try:
                with open(path, encoding="utf-8") as f:
                    fresh = compile(f.read(), path, "exec")
            except (OSError, SyntaxError) as error:
                problem(f"cannot read {path}: {error}")
                continue
            modules[name] = (module, fresh)
            codes_by_file[os.path.realpath(path)] = all_codes(fresh, {})
        seen = set()

        def verify(label, obj, depth=0, engine=True):
            if (id(obj), engine) in seen or depth > 3:
                return
            seen.add((id(obj), engine))
            obj = unwrap(obj)
            code = getattr(obj, "__code__", None)
            if isinstance(obj, types.FunctionType) and code is not None:
                counter[0] += 1
                filename = os.path.realpath(code.co_filename)
                if filename in codes_by_file:
                    if fingerprint(code) not in codes_by_file[filename].get(code.co_name, ()):
                        problem(f"{label} was changed (its code is not course's)", obj)
                elif not trusted(code.co_filename):
                    problem(f"{label} was replaced by {describe(obj)}", obj)
            elif isinstance(obj, type) and (getattr(obj, "__module__", "") or "").startswith(
                    "course"):
                generated = ("__dataclass_fields__" in vars(obj))
                for key, value in list(vars(obj).items()):
                    if generated and key in ("__init__", "__repr__", "__eq__", "__hash__",
                                             "__setattr__", "__delattr__", "__lt__", "__le__",
                                             "__gt__", "__ge__", "__getstate__",
                                             "__setstate__", "__replace__"):
                        continue
                    if not (key.startswith("__") and key.endswith("__")) or \
                            isinstance(value, (types.FunctionType, staticmethod,
                                               classmethod, property)):
                        verify(f"{label}.{key}", value, depth + 1, engine)
            elif not engine:
                return      # widgets and figures may hold the notebook's functions: by design
            elif isinstance(obj, dict):
                for key, value in list(obj.items()):
                    verify(f"{label}[{key!r}]", value, depth + 1, engine)
            elif (type(obj).__module__ or "").startswith("course"):
                fields = dict(getattr(obj, "__dict__", {}))
                for klass in type(obj).__mro__:
                    slots = vars(klass).get("__slots__", ())
                    for slot in ([slots] if isinstance(slots, str) else slots):
                        if hasattr(obj, slot):
                            fields[slot] = getattr(obj, slot)
                for key, value in fields.items():
                    verify(f"{label}.{key}", value, depth + 1, engine)

        for name, (module, fresh) in modules.items():
            toplevel = {c.co_name for c in fresh.co_consts if isinstance(c, types.CodeType)}
            for key, value in list(vars(module).items()):
                if key.startswith("__"):
                    continue
                target = unwrap(value)
                if isinstance(target, types.FunctionType) and key in toplevel and \
                        target.__name__ != key:
                    problem(f"{name}.{key} was replaced by {target.__module__}."
                            f"{target.__name__}", target)
                home = sys.modules.get(getattr(target, "__module__", None) or "")
                if isinstance(target, types.FunctionType) and home is not None and \
                        home is not module and unwrap(getattr(home, key, target)) is not target:
                    problem(f"{name}.{key} is not {home.__name__}.{key} any more", target)
                verify(f"{name}.{key}", value, 0,
                       not (name.startswith("course.widgets") or name == "course.figures"))
            for key in toplevel:     # what the module defines must still be there
                if key.isidentifier() and not hasattr(module, key):
                    problem(f"{name}.{key} was deleted")

        # -- the numpy functions the tests use ---------------------------------------------
        if np is not None:
            for dotted in params["numpy_names"]:
                obj, ok = np, True
                for part in dotted.split("."):
                    obj = getattr(obj, part, None)
                target = unwrap(getattr(obj, "_implementation", obj))
                code = getattr(target, "__code__", None)
                counter[0] += 1
                if obj is None:
                    problem(f"numpy.{dotted} is missing")
                elif code is not None:
                    ok = inside(code.co_filename, numpy_dir) or (
                        not os.path.isabs(code.co_filename)
                        and code.co_filename.startswith("numpy"))
                elif isinstance(obj, types.ModuleType):
                    ok = inside(getattr(obj, "__file__", ""), numpy_dir)
                else:
                    module = getattr(obj, "__module__", None) or type(obj).__module__ or ""
                    ok = module.startswith("numpy") or type(obj).__name__ in (
                        "ufunc", "_ArrayFunctionDispatcher", "builtin_function_or_method",
                        "cython_function_or_method", "type") and module != "builtins"
                if obj is not None and not ok:
                    problem(f"numpy.{dotted} was replaced by {describe(target)}", target)

        # -- the notebook's own helpers and imports -------------------------------------------
        for name, source in params["helpers"].items():
            live = namespace.get(name)
            counter[0] += 1
            if live is None:
                problem(f"the notebook's helper {name} was deleted")
                continue
            expected = all_codes(compile(source, "<helper>", "exec"), {})
            if isinstance(live, type):
                for key, value in vars(live).items():
                    value = unwrap(value)
                    code = getattr(value, "__code__", None)
                    if code is not None and key in expected and \
                            fingerprint(code) not in expected[key]:
                        problem(f"{name}.{key}, a helper of the notebook, was replaced by "
                                f"{describe(value)}", value)
            else:
                code = getattr(unwrap(live), "__code__", None)
                if code is None or fingerprint(code) not in expected.get(name, ()):
                    problem(f"the notebook's helper {name} was replaced by {describe(live)}",
                            unwrap(live))
        for name, dotted in params["imports"].items():
            if name not in namespace:
                continue
            module_name, _, attribute = dotted.rpartition(".")
            target = sys.modules.get(dotted)
            if target is None and module_name in sys.modules:
                target = getattr(sys.modules[module_name], attribute, None)
            counter[0] += 1
            if target is not None and namespace[name] is not target:
                problem(f"{name} no longer points to {dotted}: it is {describe(namespace[name])}",
                        namespace[name])

        # -- builtins are builtins -----------------------------------------------------------
        for name in ("abs", "all", "any", "callable", "float", "getattr", "hasattr", "int",
                     "isinstance", "issubclass", "len", "list", "max", "min", "print", "range",
                     "repr", "round", "sorted", "str", "sum", "tuple", "type", "zip", "compile",
                     "open", "exec", "eval", "__import__", "AssertionError", "Exception"):
            obj = getattr(builtins, name, None)
            counter[0] += 1
            if not (isinstance(obj, type) and obj.__module__ == "builtins"
                    or type(obj).__name__ == "builtin_function_or_method"):
                problem(f"builtins.{name} was replaced by {describe(obj)}", obj)
            shadow = namespace.get(name, obj)
            if shadow is not obj and name not in params["helpers"] and not trusted(
                    getattr(getattr(shadow, "__code__", None), "co_filename", "<notebook>")):
                problem(f"the notebook's global {name} shadows the builtin: "
                        f"{describe(namespace[name])}", namespace[name], severity="review")

        # -- hooks that could rewrite or silence tests --------------------------------------
        counter[0] += 1
        for label, hook in (("sys.settrace", sys.gettrace()), ("sys.setprofile", sys.getprofile()),
                            ("threading.settrace", getattr(threading, "gettrace", lambda: None)()),
                            ("threading.setprofile",
                             getattr(threading, "getprofile", lambda: None)())):
            if hook is not None:
                problem(f"a {label} hook is installed: {describe(hook)}", hook)
        shell = namespace.get("get_ipython", lambda: None)()
        if shell is not None:
            def from_notebook(fn):
                code = getattr(unwrap(getattr(fn, "__func__", fn)), "__code__", None)
                filename = code.co_filename if code else ""
                return ("ipykernel_" in filename or filename.startswith("<ipython-input")
                        or getattr(fn, "__module__", "") == "__main__"
                        or filename in ("<string>", "<stdin>"))

            for label in ("input_transformers_cleanup", "input_transformers_post",
                          "ast_transformers"):
                for item in list(getattr(shell, label, []) or []):
                    counter[0] += 1
                    target = item if callable(item) and not isinstance(item, type) else \
                        getattr(item, "visit", item)
                    if from_notebook(target) or from_notebook(item) or \
                            getattr(type(item), "__module__", "") == "__main__":
                        problem(f"the notebook added an IPython {label} entry: "
                                f"{describe(unwrap(target))}", unwrap(target))
            events = getattr(getattr(shell, "events", None), "callbacks", {}) or {}
            for event, callbacks in events.items():
                for callback in list(callbacks):
                    counter[0] += 1
                    if from_notebook(callback):
                        problem(f"the notebook registered an IPython '{event}' callback: "
                                f"{describe(callback)}", callback)
            for label in ("run_cell", "run_cell_async", "showtraceback", "_showtraceback",
                          "run_code", "transform_cell", "should_run_async"):
                live = shell.__dict__.get(label)
                counter[0] += 1
                if live is not None and from_notebook(live):
                    problem(f"get_ipython().{label} was replaced by {describe(live)}", live)

        # -- behaviour: the checks reject known-wrong gradients -----------------------------
        gradcheck = sys.modules.get("course.gradcheck")
        if np is not None and gradcheck is not None:
            x = np.array([0.3, -1.2, 2.1])
            square = lambda x: x ** 2                              # noqa: E731
            right = lambda g, x: 2.0 * x * g                       # noqa: E731
            wrong = lambda g, x: x * g                             # noqa: E731
            candidates = {"course.gradcheck.check_vjp": getattr(gradcheck, "check_vjp", None)}
            for name, dotted in params["imports"].items():
                if dotted.endswith(".check_vjp") and callable(namespace.get(name)):
                    candidates[name] = namespace[name]
            for label, check_vjp in candidates.items():
                if check_vjp is None:
                    continue
                verdict = raises(check_vjp, square, wrong, x)
                check(verdict is True, f"{label} accepted a known-wrong gradient "
                      f"(x * g for x ** 2)" if not verdict else
                      f"{label} failed on a known-wrong gradient without an AssertionError",
                      check_vjp)
                check(raises(check_vjp, square, right, x) is False,
                      f"{label} rejected a correct gradient", check_vjp)
            check_jvp = getattr(gradcheck, "check_jvp", None)
            if check_jvp is not None:
                check(raises(check_jvp, square, lambda t, x: x * t[0], x) is True,
                      "course.gradcheck.check_jvp accepted a known-wrong tangent", check_jvp)
                check(raises(check_jvp, square, lambda t, x: 2.0 * x * t[0], x) is False,
                      "course.gradcheck.check_jvp rejected a correct tangent", check_jvp)
            dot_test = getattr(gradcheck, "dot_product_test", None)
            if dot_test is not None:
                check(raises(dot_test, square, lambda t, x: 2.0 * x * t[0], wrong, x) is True,
                      "course.gradcheck.dot_product_test accepted mismatched rules", dot_test)
            check_grad = getattr(gradcheck, "check_grad", None)
            if check_grad is not None and course is not None:
                def bad_vjp(f, *xs):
                    out, pullback = course.vjp(f, *xs)
                    return out, lambda u: tuple(0.5 * g for g in pullback(u))
                check(raises(check_grad, lambda x: x * x, x, vjp=bad_vjp) is True,
                      "course.gradcheck.check_grad accepted a known-wrong VJP", check_grad)

        # -- behaviour: numpy and the engine --------------------------------------------------
        if np is not None:
            check(np.allclose(1.0, 1.0) and not np.allclose(1.0, 2.0),
                  "numpy.allclose does not tell 1.0 from 2.0", np.allclose)
            check(not bool(np.isclose(1.0, 2.0)), "numpy.isclose says 1.0 == 2.0", np.isclose)
            check(not np.array_equal([1.0], [2.0]), "numpy.array_equal says [1] == [2]",
                  np.array_equal)
            check(raises(np.testing.assert_allclose, 1.0, 2.0) is True,
                  "numpy.testing.assert_allclose accepts 1.0 == 2.0",
                  np.testing.assert_allclose)
        if np is not None and course is not None:
            try:
                x = np.array([3.0, -2.0])
                check(np.array_equal(course.grad(lambda x: (x * x).sum())(x), 2 * x),
                      "course.grad is wrong on sum(x * x)")
                _, tangent = course.jvp(lambda x: x * x, (x,), (np.ones(2),))
                check(np.array_equal(tangent, 2 * x), "course.jvp is wrong on x * x")
                _, pullback = course.vjp(lambda x: x * x, x)
                check(np.array_equal(pullback(np.ones(2))[0], 2 * x),
                      "course.vjp is wrong on x * x")
                check(np.allclose(course.hvp(lambda x: (x ** 3).sum(), x, np.ones(2)), 6 * x),
                      "course.hvp is wrong on sum(x ** 3)")
                a, b = course.Value(3.0), course.Value(4.0)
                (a * b + a).backward()
                check((a.grad, b.grad) == (5.0, 3.0), "course.Value gets d(a*b + a) wrong")
            except Exception as error:      # noqa: BLE001
                problem(f"the engine fails on a known derivative: {type(error).__name__}: "
                        f"{error}")
        close = namespace.get("close")
        if ("close" in params["helpers"] or "close" in params["imports"]) and callable(close):
            try:
                check(close(1.0, 1.0) and not close(1.0, 2.0) and not close([1.0], [1.0, 1.0]),
                      "the notebook's close() does not tell different values apart", close)
            except Exception as error:      # noqa: BLE001
                problem(f"the notebook's close() fails: {type(error).__name__}", close)

    report = {"nonce": params["nonce"], "checks": counter[0], "problems": problems}
    sys.stdout.write(f"{params['prefix']} {params['nonce']} {json.dumps(report)}\n")
    sys.stdout.flush()
