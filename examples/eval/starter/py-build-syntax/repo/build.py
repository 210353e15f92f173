"""Build: byte-compiles every module of the geometry package (into a temporary folder) and imports it."""
import glob
import importlib
import os
import py_compile
import sys
import tempfile

out = tempfile.mkdtemp()
for f in sorted(glob.glob("geometry/*.py")):
    try:
        py_compile.compile(f, cfile=os.path.join(out, os.path.basename(f) + "c"), doraise=True)
    except py_compile.PyCompileError as e:
        print(f"build failed: {e.msg}", file=sys.stderr)
        sys.exit(1)
importlib.import_module("geometry")
print("build ok")
