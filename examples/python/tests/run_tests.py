"""Runs the unit tests of the roster package (test_*.py beside this file),
then checks two kinds of coverage:

  - every public function, method and property of the package (those
    defined in roster/__init__.py, the module-level functions and the
    methods of the public classes) was called at least once while the tests
    ran (recorded with sys.setprofile);
  - every function of the C API (capi/roster.map, when the source tree is
    there) is declared in the FFI layer (roster._ffi.SIGNATURES) and called
    from the package's code.

Usage: python3 tests/run_tests.py [unittest arguments]   (run.sh --test)
Exit status 0 only when the tests pass and nothing is missing.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
import unittest
from types import CodeType
from typing import Dict, List, Set

HERE = os.path.dirname(os.path.abspath(__file__))
MAP = os.path.join(HERE, "..", "..", "..", "capi", "roster.map")

import roster  # noqa: E402  (after the path set-up of the caller)
from roster import _ffi  # noqa: E402

PUBLIC_DUNDERS = {"__init__", "__enter__", "__exit__", "__len__", "__getitem__", "__iter__"}


def public_code() -> Dict[str, CodeType]:
    """Name -> code object of every public callable defined in the
    package's __init__.py."""
    source = os.path.abspath(roster.__file__)
    found: Dict[str, CodeType] = {}

    def add(name: str, obj: object) -> None:
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
        if isinstance(obj, property):
            obj = obj.fget
        obj = inspect.unwrap(obj)  # contextmanager
        code = getattr(obj, "__code__", None)
        if code is not None and os.path.abspath(code.co_filename) == source:
            found[name] = code

    for name in roster.__all__:
        obj = getattr(roster, name)
        if inspect.isfunction(obj):
            add(name, obj)
        elif inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr not in PUBLIC_DUNDERS:
                    continue
                add(f"{name}.{attr}", member)
    return found


def c_functions() -> List[str]:
    """The exported functions of capi/roster.map (every node)."""
    with open(MAP, encoding="utf-8") as f:
        text = f.read()
    return sorted(set(re.findall(r"^\s*(roster_\w+);", text, re.M)))


def main() -> int:
    expected = public_code()
    called: Set[CodeType] = set()

    def profile(frame, event, _arg):
        if event == "call":
            called.add(frame.f_code)

    loader = unittest.TestLoader()
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    sys.setprofile(profile)
    try:
        result = unittest.TextTestRunner(verbosity=1).run(suite)
    finally:
        sys.setprofile(None)
    ok = result.wasSuccessful()

    missing = sorted(name for name, code in expected.items() if code not in called)
    if missing:
        ok = False
        print("NOT CALLED by the tests: " + ", ".join(missing), file=sys.stderr)
    else:
        print(f"coverage: the tests called all {len(expected)} public functions", file=sys.stderr)

    if os.path.exists(MAP):
        with open(roster.__file__, encoding="utf-8") as f:
            package_source = f.read()
        mapped = c_functions()
        undeclared = [n for n in mapped if n not in _ffi.SIGNATURES]
        unused = [n for n in mapped if f'"{n}"' not in package_source
                  and f"_lib.{n}" not in package_source]
        extra = [n for n in _ffi.SIGNATURES if n not in mapped]
        for what, names in (
            ("not declared in roster._ffi", undeclared),
            ("not called from roster/__init__.py", unused),
            ("declared but not in capi/roster.map", extra),
        ):
            if names:
                ok = False
                print(f"C API {what}: " + ", ".join(names), file=sys.stderr)
        if not (undeclared or unused or extra):
            print(f"coverage: all {len(mapped)} functions of capi/roster.map are declared "
                  "and called", file=sys.stderr)
    else:
        print(f"(no {MAP}: the C API coverage is not checked)", file=sys.stderr)
    tests = result.testsRun
    failed = len(result.failures) + len(result.errors)
    skipped = len(result.skipped)
    print(f"unittest: {tests} tests run: {failed} failing, {skipped} skipped", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
