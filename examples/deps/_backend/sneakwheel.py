"""sneakwheel: a tiny PEP 517 build backend for sneakpack's example dependencies.

Why not setuptools: building with ``pip wheel --no-build-isolation`` needs setuptools *and* (before
setuptools 70.1) the ``wheel`` package in the interpreter that builds, and many Pythons have
neither (pyenv's 3.12+, Debian without python3-setuptools). The example must build on any machine
with ``python3`` and no network, so this backend uses the standard library only (Python 3.6+).

It reads ``[project]`` (PEP 621: name, version, description, requires-python, dependencies,
optional-dependencies, scripts) and ``[tool.sneakwheel]``:

- ``packages``: package directories under ``src/`` to put in the wheel;
- ``ext-modules``: dotted names of C extension modules, each built from ``src/<dotted/path>.c``.

Extension modules are optional, like markupsafe's speedups: they are compiled when a C compiler and
Python.h are available and ``SNEAKWHEEL_PURE`` is unset; otherwise the wheel is pure
(``py3-none-any``) and the package falls back to its Python code at import time. Building once with
``SNEAKWHEEL_PURE=1`` and once without gives the two wheels PyPI projects such as
charset-normalizer publish for one version: a fast platform wheel and a universal fallback.

Wheels are reproducible: entries sorted, timestamps from ``SOURCE_DATE_EPOCH`` (default
1980-01-01), fixed modes, RECORD last.

Used by pip (``pip wheel --no-build-isolation --no-deps -w OUT PROJECT``; each project links
``_backend`` here and names it in ``backend-path``) or directly, without pip:
``python3 sneakwheel.py PROJECT -w OUT``.
"""
import base64
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile

__all__ = [
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_wheel",
    "build_wheel",
]

GENERATOR = "sneakwheel 1.0"


# --- pyproject.toml -------------------------------------------------------------------------


def _load_toml(text, path):
    try:
        import tomllib  # Python 3.11+
    except ImportError:
        return _parse_toml_subset(text, path)
    return tomllib.loads(text)


_KEY = r'(?:[A-Za-z0-9_-]+|"[^"]*")'


def _parse_toml_subset(text, path):
    """The TOML this backend's projects use, for Pythons without tomllib: tables, comments, and
    values that are strings, booleans, integers or (nested, multi-line) arrays of them."""
    root = {}
    table = root
    pos = 0
    n = len(text)

    def fail(msg):
        line = text.count("\n", 0, pos) + 1
        raise ValueError("%s:%d: %s (sneakwheel reads a TOML subset on Python < 3.11)" % (path, line, msg))

    def skip_ws(nl):
        nonlocal pos
        while pos < n:
            c = text[pos]
            if c == "#":
                while pos < n and text[pos] != "\n":
                    pos += 1
            elif c in " \t\r" or (nl and c == "\n"):
                pos += 1
            else:
                break

    def value():
        nonlocal pos
        skip_ws(True)
        c = text[pos:pos + 1]
        if c == '"':
            m = re.compile(r'"((?:[^"\\\n]|\\.)*)"').match(text, pos)
            if not m:
                fail("unterminated string")
            pos = m.end()
            return re.sub(r'\\(u[0-9A-Fa-f]{4}|.)', _unescape, m.group(1))
        if c == "'":
            end = text.find("'", pos + 1)
            if end < 0:
                fail("unterminated string")
            s = text[pos + 1:end]
            pos = end + 1
            return s
        if c == "[":
            pos += 1
            items = []
            while True:
                skip_ws(True)
                if text[pos:pos + 1] == "]":
                    pos += 1
                    return items
                items.append(value())
                skip_ws(True)
                if text[pos:pos + 1] == ",":
                    pos += 1
                elif text[pos:pos + 1] != "]":
                    fail("expected , or ] in array")
        m = re.compile(r"true|false|[+-]?[0-9]+").match(text, pos)
        if not m:
            fail("unsupported value")
        pos = m.end()
        word = m.group(0)
        return word == "true" if word in ("true", "false") else int(word)

    def key_path(s):
        return [k.strip().strip('"') for k in re.findall(r'\s*%s\s*' % _KEY, s)]

    while True:
        skip_ws(True)
        if pos >= n:
            return root
        m = re.compile(r"\[\s*(%s(?:\s*\.\s*%s)*)\s*\][ \t]*" % (_KEY, _KEY)).match(text, pos)
        if m:
            pos = m.end()
            table = root
            for k in key_path(m.group(1).replace(".", " ")):
                table = table.setdefault(k, {})
            continue
        m = re.compile(r"(%s(?:\s*\.\s*%s)*)\s*=" % (_KEY, _KEY)).match(text, pos)
        if not m:
            fail("expected a [table] or key = value")
        pos = m.end()
        keys = key_path(m.group(1).replace(".", " "))
        t = table
        for k in keys[:-1]:
            t = t.setdefault(k, {})
        t[keys[-1]] = value()


def _unescape(m):
    s = m.group(1)
    if s.startswith("u"):
        return chr(int(s[1:], 16))
    return {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}.get(s, s)


class _Project:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        path = os.path.join(self.root, "pyproject.toml")
        with open(path, encoding="utf-8") as f:
            data = _load_toml(f.read(), path)
        project = data.get("project") or {}
        tool = (data.get("tool") or {}).get("sneakwheel") or {}
        for field in ("name", "version"):
            if not isinstance(project.get(field), str):
                raise ValueError("%s: [project] %s must be a string" % (path, field))
        self.name = project["name"]
        self.version = project["version"]
        self.summary = project.get("description", "")
        self.requires_python = project.get("requires-python")
        self.dependencies = list(project.get("dependencies", []))
        self.extras = dict(project.get("optional-dependencies", {}))
        self.scripts = dict(project.get("scripts", {}))
        self.packages = list(tool.get("packages", []))
        self.ext_modules = list(tool.get("ext-modules", []))
        # PEP 427: the distribution name in file names, with runs of -_. as _.
        self.dist = re.sub(r"[-_.]+", "_", self.name).lower()

    @property
    def dist_info(self):
        return "%s-%s.dist-info" % (self.dist, self.version)

    def metadata(self):
        lines = ["Metadata-Version: 2.1", "Name: " + self.name, "Version: " + self.version]
        if self.summary:
            lines.append("Summary: " + self.summary)
        if self.requires_python:
            lines.append("Requires-Python: " + self.requires_python)
        lines += ["Requires-Dist: " + d for d in self.dependencies]
        for extra in sorted(self.extras):
            lines.append("Provides-Extra: " + extra)
            for d in self.extras[extra]:
                req, _, marker = d.partition(";")
                cond = 'extra == "%s"' % extra
                lines.append("Requires-Dist: %s; %s" % (req.strip(), "(%s) and %s" % (marker.strip(), cond) if marker.strip() else cond))
        return "\n".join(lines) + "\n"

    def entry_points(self):
        if not self.scripts:
            return None
        return "[console_scripts]\n" + "".join("%s = %s\n" % kv for kv in sorted(self.scripts.items()))


# --- C extensions ----------------------------------------------------------------------------


def _want_extensions(project):
    return bool(project.ext_modules) and os.environ.get("SNEAKWHEEL_PURE", "") in ("", "0")


def _compile_extension(project, dotted, build_dir):
    """Compile src/<dotted path>.c to <dotted path><EXT_SUFFIX>; return the path in the wheel, or
    None (with a note on stderr) when this machine cannot build extensions."""
    source = os.path.join(project.root, "src", *dotted.split(".")) + ".c"
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    rel = "/".join(dotted.split(".")) + suffix
    out = os.path.join(build_dir, *rel.split("/"))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    include = sysconfig.get_paths()["include"]
    if shutil.which(cc[0]) is None or not os.path.exists(os.path.join(include, "Python.h")):
        sys.stderr.write("sneakwheel: no C compiler or Python.h; building %s without %s\n" % (project.name, dotted))
        return None
    link = ["-bundle", "-undefined", "dynamic_lookup"] if sys.platform == "darwin" else ["-shared"]
    cmd = cc + ["-O2", "-fPIC", "-I", include] + link + [source, "-o", out]
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    if result.returncode != 0:
        sys.stderr.write("sneakwheel: compiling %s failed; building without it:\n%s\n%s\n" % (dotted, " ".join(cmd), result.stdout))
        return None
    return rel, out


def _platform_tag():
    """The PEP 425 tag of a wheel holding an extension built by this interpreter (CPython only)."""
    impl = sys.implementation.name
    if impl != "cpython":
        return None
    soabi = sysconfig.get_config_var("SOABI") or ""  # cpython-311-x86_64-linux-gnu, cpython-37m-…
    parts = soabi.split("-")
    abi = "cp" + parts[1] if len(parts) > 1 else "cp%d%d" % sys.version_info[:2]
    plat = re.sub(r"[-.]", "_", sysconfig.get_platform())
    return "cp%d%d-%s-%s" % (sys.version_info[0], sys.version_info[1], abi, plat)


# --- wheel writing ---------------------------------------------------------------------------


def _date_time():
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
    return time.gmtime(max(epoch, 315532800))[:6]  # zip cannot say anything before 1980


def _record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def _package_files(project):
    files = []
    for pkg in project.packages:
        top = os.path.join(project.root, "src", *pkg.split("."))
        if not os.path.isdir(top):
            raise ValueError("%s: [tool.sneakwheel] packages names %r but %s is missing" % (project.name, pkg, top))
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for fn in filenames:
                if fn.endswith((".pyc", ".c", ".so", ".pyd")):
                    continue
                full = os.path.join(dirpath, fn)
                rel = os.path.relpath(full, os.path.join(project.root, "src")).replace(os.sep, "/")
                files.append((rel, full))
    return files


def _write_wheel(project, wheel_directory):
    with tempfile.TemporaryDirectory(prefix="sneakwheel-") as build_dir:
        contents = {}
        for rel, full in _package_files(project):
            with open(full, "rb") as f:
                contents[rel] = f.read()
        tag = "py3-none-any"
        if _want_extensions(project):
            built = [_compile_extension(project, m, build_dir) for m in project.ext_modules]
            if built and all(built) and _platform_tag():
                tag = _platform_tag()
                for rel, out in built:
                    with open(out, "rb") as f:
                        contents[rel] = f.read()
        di = project.dist_info
        meta = {
            di + "/METADATA": project.metadata(),
            di + "/WHEEL": "Wheel-Version: 1.0\nGenerator: %s\nRoot-Is-Purelib: %s\nTag: %s\n"
            % (GENERATOR, "true" if tag == "py3-none-any" else "false", tag),
        }
        eps = project.entry_points()
        if eps:
            meta[di + "/entry_points.txt"] = eps
        for k, v in meta.items():
            contents[k] = v.encode("utf-8")

        name = "%s-%s-%s.whl" % (project.dist, project.version, tag)
        when = _date_time()
        record = io.StringIO()
        # Package files first, dist-info after, RECORD last: what installers expect to stream.
        order = sorted(k for k in contents if not k.startswith(di + "/")) + sorted(k for k in contents if k.startswith(di + "/"))
        os.makedirs(wheel_directory, exist_ok=True)
        path = os.path.join(wheel_directory, name)
        with zipfile.ZipFile(path + ".part", "w", zipfile.ZIP_DEFLATED) as zf:
            for rel in order + [di + "/RECORD"]:
                if rel == di + "/RECORD":
                    record.write(rel + ",,\n")
                    data = record.getvalue().encode("utf-8")
                else:
                    data = contents[rel]
                    record.write("%s,%s,%d\n" % (rel, _record_hash(data), len(data)))
                info = zipfile.ZipInfo(rel, date_time=when)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (0o100755 if rel.endswith(".so") else 0o100644) << 16
                info.create_system = 3  # Unix, so the mode above is read
                zf.writestr(info, data)
        os.replace(path + ".part", path)
        return name


# --- PEP 517 hooks ---------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _Project(os.getcwd())
    target = os.path.join(metadata_directory, project.dist_info)
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "METADATA"), "w", encoding="utf-8") as f:
        f.write(project.metadata())
    eps = project.entry_points()
    if eps:
        with open(os.path.join(target, "entry_points.txt"), "w", encoding="utf-8") as f:
            f.write(eps)
    return project.dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(_Project(os.getcwd()), wheel_directory)


def main(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="sneakwheel", description="Build a project's wheel without pip.")
    parser.add_argument("project")
    parser.add_argument("-w", "--wheel-dir", required=True)
    parser.add_argument("--pure", action="store_true", help="skip C extensions (as SNEAKWHEEL_PURE=1)")
    args = parser.parse_args(argv)
    if args.pure:
        os.environ["SNEAKWHEEL_PURE"] = "1"
    print(_write_wheel(_Project(args.project), os.path.abspath(args.wheel_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
