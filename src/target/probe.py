#!/usr/bin/env python3
# sneakpack target probe: describe this Python interpreter as a sneakpack target profile.
#
# Copy this file to the target box and run it with the interpreter the app will use:
#
#     python3 -I sneakpack-probe.py -o box.json
#
# It prints (or writes) ONE JSON object: the interpreter, its libc, the PEP 508 marker
# environment and the wheel tags it accepts, best first. Bring the file back to the build PC and
# give it to sneakpack as the target.
#
# Standalone on purpose: the box may have no pip, no `packaging` and no Node, so this script uses
# the standard library only and runs on CPython 3.6 to 3.14. The tag and marker logic re-implements
# pypa `packaging` 24.1 (`tags.sys_tags()`, `_manylinux`, `_musllinux`, `_elffile`,
# `markers.default_environment()`) faithfully: the output must equal what packaging 24.1 computes
# inside the same interpreter, and sneakpack's tests check exactly that. When a line looks odd,
# it is most likely packaging's behaviour, kept on purpose. packaging is dual licensed
# Apache-2.0 / BSD-2-Clause; see https://github.com/pypa/packaging.
#
# The syntax stays parseable by Python 2.7 (no f-strings, no `yield from`, no keyword-only
# arguments) for one reason: so that an old interpreter gets a clear "needs Python 3.6" message
# instead of a SyntaxError. Python 2 itself is not a supported target (packaging dropped it, and
# `sys.implementation`, which the marker environment needs, does not exist there).

import json
import os
import platform
import re
import struct
import subprocess
import sys
import sysconfig
import warnings

PROBE_VERSION = 1
CAPTURED_WITH = "sneakpack probe (packaging 24.1 rules)"
MINIMUM_PYTHON = (3, 6)


# --- ELF headers (packaging/_elffile.py) ------------------------------------------------------
# Read from sys.executable: whether it is a 32-bit hard-float ARM or i386 binary decides the
# manylinux architectures, and its PT_INTERP (dynamic loader) path tells musl from glibc.

class ELFInvalid(ValueError):
    pass


EI_CLASS_32 = 1
EI_DATA_LSB = 1
EM_386 = 3
EM_ARM = 40
PT_INTERP = 3


class ELFFile(object):
    """The parts of an ELF header packaging looks at (a read-only view of an open file)."""

    def __init__(self, f):
        self._f = f
        try:
            ident = self._read("16B")
        except struct.error:
            raise ELFInvalid("unable to parse identification")
        magic = bytes(ident[:4])
        if magic != b"\x7fELF":
            raise ELFInvalid("invalid magic: {!r}".format(magic))
        self.capacity = ident[4]  # 1 = 32-bit, 2 = 64-bit
        self.encoding = ident[5]  # 1 = little endian, 2 = big endian
        try:
            # Header format, program header format, indexes of p_type, p_offset, p_filesz.
            e_fmt, self._p_fmt, self._p_idx = {
                (1, 1): ("<HHIIIIIHHH", "<IIIIIIII", (0, 1, 4)),  # 32-bit LSB
                (1, 2): (">HHIIIIIHHH", ">IIIIIIII", (0, 1, 4)),  # 32-bit MSB
                (2, 1): ("<HHIQQQIHHH", "<IIQQQQQQ", (0, 2, 5)),  # 64-bit LSB
                (2, 2): (">HHIQQQIHHH", ">IIQQQQQQ", (0, 2, 5)),  # 64-bit MSB
            }[(self.capacity, self.encoding)]
        except KeyError:
            raise ELFInvalid(
                "unrecognized capacity ({}) or encoding ({})".format(self.capacity, self.encoding)
            )
        try:
            (
                _,
                self.machine,
                _,
                _,
                self._e_phoff,
                _,
                self.flags,
                _,
                self._e_phentsize,
                self._e_phnum,
            ) = self._read(e_fmt)
        except struct.error:
            raise ELFInvalid("unable to parse machine and section information")

    def _read(self, fmt):
        return struct.unpack(fmt, self._f.read(struct.calcsize(fmt)))

    @property
    def interpreter(self):
        """The path in the PT_INTERP program header (the dynamic loader), or None."""
        for index in range(self._e_phnum):
            self._f.seek(self._e_phoff + self._e_phentsize * index)
            try:
                data = self._read(self._p_fmt)
            except struct.error:
                continue
            if data[self._p_idx[0]] != PT_INTERP:
                continue
            self._f.seek(data[self._p_idx[1]])
            return os.fsdecode(self._f.read(data[self._p_idx[2]])).strip("\0")
        return None


def _elf_header(path):
    """The ELF header of `path`, or None when it cannot be read (packaging's `_parse_elf`)."""
    try:
        with open(path, "rb") as f:
            return ELFFile(f)
    except (OSError, TypeError, ValueError):
        return None


# --- manylinux (packaging/_manylinux.py; PEP 513, 571, 599, 600) -------------------------------

EF_ARM_ABIMASK = 0xFF000000
EF_ARM_ABI_VER5 = 0x05000000
EF_ARM_ABI_FLOAT_HARD = 0x00000400

# packaging assumes a glibc 3.x would follow a last 2.x minor it guesses to be 50.
LAST_GLIBC_MINOR_GUESS = 50

# The legacy names PEP 600 keeps as aliases of manylinux_2_{17,12,5}.
LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}


def _is_linux_armhf(executable):
    # The hard-float ABI shows in the ELF header flags of the running interpreter.
    f = _elf_header(executable)
    return (
        f is not None
        and f.capacity == EI_CLASS_32
        and f.encoding == EI_DATA_LSB
        and f.machine == EM_ARM
        and f.flags & EF_ARM_ABIMASK == EF_ARM_ABI_VER5
        and f.flags & EF_ARM_ABI_FLOAT_HARD == EF_ARM_ABI_FLOAT_HARD
    )


def _is_linux_i686(executable):
    f = _elf_header(executable)
    return (
        f is not None
        and f.capacity == EI_CLASS_32
        and f.encoding == EI_DATA_LSB
        and f.machine == EM_386
    )


def _have_compatible_abi(executable, archs):
    if "armv7l" in archs:
        return _is_linux_armhf(executable)
    if "i686" in archs:
        return _is_linux_i686(executable)
    allowed_archs = {"x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64"}
    return any(arch in allowed_archs for arch in archs)


def _glibc_version_string_confstr():
    # os.confstr is fast and rarely broken; the standard library's platform module uses it too.
    try:
        version_string = os.confstr("CS_GNU_LIBC_VERSION")  # e.g. "glibc 2.17"
        if version_string is None:
            return None
        _, version = version_string.rsplit()
    except (AttributeError, OSError, ValueError):
        return None
    return version


def _glibc_version_string_ctypes():
    try:
        import ctypes
    except ImportError:
        return None
    # dlopen(NULL) is the main program: the dynamic linker finds the libc this process uses.
    # A static (e.g. musl) executable makes dlopen fail, which just means "not glibc".
    try:
        process_namespace = ctypes.CDLL(None)
    except OSError:
        return None
    try:
        gnu_get_libc_version = process_namespace.gnu_get_libc_version
    except AttributeError:
        return None  # the symbol is missing: not linked against glibc
    gnu_get_libc_version.restype = ctypes.c_char_p
    version_str = gnu_get_libc_version()
    if not isinstance(version_str, str):
        version_str = version_str.decode("ascii")
    return version_str


def glibc_version_string():
    """The glibc version ("2.36"), or None when this interpreter does not use glibc."""
    return _glibc_version_string_confstr() or _glibc_version_string_ctypes()


def _parse_glibc_version(version_str):
    # A regex, not split(): forks append junk after the minor version ("2.20-2014.11").
    m = re.match(r"(?P<major>[0-9]+)\.(?P<minor>[0-9]+)", version_str)
    if not m:
        warnings.warn(
            "Expected glibc version with 2 components major.minor, got: {}".format(version_str),
            RuntimeWarning,
        )
        return -1, -1
    return int(m.group("major")), int(m.group("minor"))


def _get_glibc_version():
    version_str = glibc_version_string()
    if version_str is None:
        return (-1, -1)
    return _parse_glibc_version(version_str)


def _is_compatible(arch, version, sys_glibc):
    """PEP 600: glibc new enough, unless a `_manylinux` module on sys.path says otherwise."""
    if sys_glibc < version:
        return False
    # Distributors may ship a `_manylinux` module (in site-packages, usually) to veto tags. This
    # is why the probe must not run with `-S`: that would hide site-packages and the veto.
    try:
        import _manylinux
    except ImportError:
        return True
    if hasattr(_manylinux, "manylinux_compatible"):
        result = _manylinux.manylinux_compatible(version[0], version[1], arch)
        if result is not None:
            return bool(result)
        return True
    if version == (2, 5):
        if hasattr(_manylinux, "manylinux1_compatible"):
            return bool(_manylinux.manylinux1_compatible)
    if version == (2, 12):
        if hasattr(_manylinux, "manylinux2010_compatible"):
            return bool(_manylinux.manylinux2010_compatible)
    if version == (2, 17):
        if hasattr(_manylinux, "manylinux2014_compatible"):
            return bool(_manylinux.manylinux2014_compatible)
    return True


def manylinux_platforms(archs, executable):
    """manylinux platform tags, newest glibc first; `archs` are the `linux_` suffixes."""
    if not _have_compatible_abi(executable, archs):
        return []
    # The oldest glibc with a manylinux tag: 2.17 everywhere, 2.5 on x86.
    too_old_glibc2 = (2, 16)
    if set(archs) & {"x86_64", "i686"}:
        too_old_glibc2 = (2, 4)
    sys_glibc = _get_glibc_version()
    # Compatibility holds across glibc major versions, so list every major down to 2.
    glibc_max_list = [sys_glibc]
    for glibc_major in range(sys_glibc[0] - 1, 1, -1):
        glibc_max_list.append((glibc_major, LAST_GLIBC_MINOR_GUESS))
    tags = []
    for arch in archs:
        for glibc_max in glibc_max_list:
            if glibc_max[0] == too_old_glibc2[0]:
                min_minor = too_old_glibc2[1]
            else:
                min_minor = -1  # for other majors the oldest is x.0
            for glibc_minor in range(glibc_max[1], min_minor, -1):
                glibc_version = (glibc_max[0], glibc_minor)
                if _is_compatible(arch, glibc_version, sys_glibc):
                    tags.append("manylinux_{}_{}_{}".format(glibc_version[0], glibc_minor, arch))
                if glibc_version in LEGACY_MANYLINUX:
                    if _is_compatible(arch, glibc_version, sys_glibc):
                        tags.append("{}_{}".format(LEGACY_MANYLINUX[glibc_version], arch))
    return tags


# --- musllinux (packaging/_musllinux.py; PEP 656) ----------------------------------------------

def _parse_musl_version(output):
    lines = [n for n in (n.strip() for n in output.splitlines()) if n]
    if len(lines) < 2 or lines[0][:4] != "musl":
        return None
    m = re.match(r"Version (\d+)\.(\d+)", lines[1])
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)))


def musl_version(executable):
    """(major, minor) of the musl loader `executable` is linked with, or None.

    Run without arguments, the musl loader prints "musl libc (x86_64)\\nVersion 1.2.2\\n..." on
    stderr.
    """
    try:
        with open(executable, "rb") as f:
            ld = ELFFile(f).interpreter
    except (OSError, TypeError, ValueError):
        return None
    if ld is None or "musl" not in ld:
        return None
    # stdout goes to /dev/null (packaging lets it through): ours carries the JSON.
    # universal_newlines= is text= before Python 3.7.
    proc = subprocess.run(
        [ld], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, universal_newlines=True
    )
    return _parse_musl_version(proc.stderr)


def musllinux_platforms(archs, executable):
    sys_musl = musl_version(executable)
    if sys_musl is None:  # not dynamically linked against musl
        return []
    return [
        "musllinux_{}_{}_{}".format(sys_musl[0], minor, arch)
        for arch in archs
        for minor in range(sys_musl[1], -1, -1)
    ]


# --- platform tags (packaging/tags.py) ---------------------------------------------------------

def _is_32bit_interpreter():
    return struct.calcsize("P") == 4


def _normalize_string(string):
    return string.replace(".", "_").replace("-", "_").replace(" ", "_")


def _linux_platforms(is_32bit):
    linux = _normalize_string(sysconfig.get_platform())
    if not linux.startswith("linux_"):
        return [linux]
    # A 32-bit interpreter on a 64-bit kernel runs 32-bit wheels only.
    if is_32bit:
        if linux == "linux_x86_64":
            linux = "linux_i686"
        elif linux == "linux_aarch64":
            linux = "linux_armv8l"
    _, arch = linux.split("_", 1)
    archs = {"armv8l": ["armv8l", "armv7l"]}.get(arch, [arch])
    return (
        manylinux_platforms(archs, sys.executable)
        + musllinux_platforms(archs, sys.executable)
        + ["linux_" + a for a in archs]
    )


def _mac_arch(arch, is_32bit):
    if not is_32bit:
        return arch
    if arch.startswith("ppc"):
        return "ppc"
    return "i386"


def _mac_binary_formats(version, cpu_arch):
    formats = [cpu_arch]
    if cpu_arch == "x86_64":
        if version < (10, 4):
            return []
        formats.extend(["intel", "fat64", "fat32"])
    elif cpu_arch == "i386":
        if version < (10, 4):
            return []
        formats.extend(["intel", "fat32", "fat"])
    elif cpu_arch == "ppc64":
        if version > (10, 5) or version < (10, 4):
            return []
        formats.append("fat64")
    elif cpu_arch == "ppc":
        if version > (10, 6):
            return []
        formats.extend(["fat32", "fat"])
    if cpu_arch in {"arm64", "x86_64"}:
        formats.append("universal2")
    if cpu_arch in {"x86_64", "i386", "ppc64", "ppc", "intel"}:
        formats.append("universal")
    return formats


def mac_platforms(version=None, arch=None):
    """macOS platform tags; `version` (major, minor) and `arch` default to this machine's."""
    version_str, _, cpu_arch = platform.mac_ver()
    if version is None:
        version = tuple(map(int, version_str.split(".")[:2]))
        if version == (10, 16):
            # Built against an old SDK, Python reports 10.16; ask again without the compat shim.
            version_str = subprocess.run(
                [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
                check=True,
                env={"SYSTEM_VERSION_COMPAT": "0"},
                stdout=subprocess.PIPE,
                universal_newlines=True,
            ).stdout
            version = tuple(map(int, version_str.split(".")[:2]))
    if arch is None:
        arch = _mac_arch(cpu_arch, _is_32bit_interpreter())
    tags = []
    if (10, 0) <= version and version < (11, 0):
        # Before macOS 11 each yearly release bumped the minor version.
        for minor_version in range(version[1], -1, -1):
            for binary_format in _mac_binary_formats((10, minor_version), arch):
                tags.append("macosx_10_{}_{}".format(minor_version, binary_format))
    if version >= (11, 0):
        # From macOS 11 on the yearly release bumps the major version.
        for major_version in range(version[0], 10, -1):
            for binary_format in _mac_binary_formats((major_version, 0), arch):
                tags.append("macosx_{}_0_{}".format(major_version, binary_format))
    if version >= (11, 0):
        # x86_64 runs binaries for older releases; arm64 only universal2 ones (which may carry
        # an older version for their x86_64 half).
        for minor_version in range(16, 3, -1):
            if arch == "x86_64":
                for binary_format in _mac_binary_formats((10, minor_version), arch):
                    tags.append("macosx_10_{}_{}".format(minor_version, binary_format))
            else:
                tags.append("macosx_10_{}_universal2".format(minor_version))
    return tags


def platform_tags():
    """This installation's platform tags, best first."""
    system = platform.system()
    if system == "Darwin":
        return mac_platforms()
    if system == "Linux":
        return _linux_platforms(_is_32bit_interpreter())
    return [_normalize_string(sysconfig.get_platform())]


# --- interpreter and ABI tags (packaging/tags.py; PEP 425, 3149, 384) ---------------------------

INTERPRETER_SHORT_NAMES = {
    "python": "py",
    "cpython": "cp",
    "pypy": "pp",
    "ironpython": "ip",
    "jython": "jy",
}


def _version_nodot(version):
    return "".join(map(str, version))


def interpreter_name():
    name = sys.implementation.name
    return INTERPRETER_SHORT_NAMES.get(name) or name


def interpreter_version():
    version = sysconfig.get_config_var("py_version_nodot")
    if version:
        return str(version)
    return _version_nodot(sys.version_info[:2])


def _cpython_abis(py_version):
    py_version = tuple(py_version)
    abis = []
    version = _version_nodot(py_version[:2])
    threading = debug = pymalloc = ucs4 = ""
    with_debug = sysconfig.get_config_var("Py_DEBUG")
    has_refcount = hasattr(sys, "gettotalrefcount")
    # Windows does not set Py_DEBUG; a debug build there loads "_d.pyd" extensions.
    # (Imported here, not at the top, so that Python 2 reaches main()'s version check.)
    from importlib.machinery import EXTENSION_SUFFIXES

    has_ext = "_d.pyd" in EXTENSION_SUFFIXES
    if with_debug or (with_debug is None and (has_refcount or has_ext)):
        debug = "d"
    if py_version >= (3, 13) and sysconfig.get_config_var("Py_GIL_DISABLED"):
        threading = "t"
    if py_version < (3, 8):
        with_pymalloc = sysconfig.get_config_var("WITH_PYMALLOC")
        if with_pymalloc or with_pymalloc is None:
            pymalloc = "m"
        if py_version < (3, 3):
            unicode_size = sysconfig.get_config_var("Py_UNICODE_SIZE")
            if unicode_size == 4 or (unicode_size is None and sys.maxunicode == 0x10FFFF):
                ucs4 = "u"
    elif debug:
        # Debug builds also load release extension modules.
        abis.append("cp{}{}".format(version, threading))
    abis.insert(0, "cp{}{}{}{}{}".format(version, threading, debug, pymalloc, ucs4))
    return abis


def _is_threaded_cpython(abis):
    # A free-threaded (--disable-gil) build has a "t" in its ABI flags: cp313t.
    if len(abis) == 0:
        return False
    m = re.match(r"cp\d+(.*)", abis[0])
    if not m:
        return False
    return "t" in m.group(1)


def _abi3_applies(python_version, threading):
    # PEP 384 arrived in 3.2; free-threaded builds have no stable ABI.
    return len(python_version) > 1 and tuple(python_version) >= (3, 2) and not threading


def cpython_tags(python_version, platforms):
    interpreter = "cp{}".format(_version_nodot(python_version[:2]))
    abis = _cpython_abis(python_version) if len(python_version) > 1 else []
    tags = []
    for abi in abis:
        for platform_ in platforms:
            tags.append((interpreter, abi, platform_))
    threading = _is_threaded_cpython(abis)
    use_abi3 = _abi3_applies(python_version, threading)
    if use_abi3:
        tags.extend((interpreter, "abi3", platform_) for platform_ in platforms)
    tags.extend((interpreter, "none", platform_) for platform_ in platforms)
    if use_abi3:
        # abi3 wheels built for older minors down to 3.2 load too.
        for minor_version in range(python_version[1] - 1, 1, -1):
            for platform_ in platforms:
                older = "cp{}".format(_version_nodot((python_version[0], minor_version)))
                tags.append((older, "abi3", platform_))
    return tags


def _generic_abi():
    # From EXT_SUFFIX, keep the ABI part, drop the platform part:
    #   '.cpython-310-x86_64-linux-gnu.so' -> cp310     '.cp310-win_amd64.pyd' -> cp310
    #   '.pypy38-pp73-x86_64-linux-gnu.so' -> pypy38_pp73
    #   '.graalpy-38-native-x86_64-darwin.dylib' -> graalpy_38_native    '.pyd' -> cp37 ABIs
    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not isinstance(ext_suffix, str) or ext_suffix[0] != ".":
        raise SystemError("invalid sysconfig.get_config_var('EXT_SUFFIX')")
    parts = ext_suffix.split(".")
    if len(parts) < 3:
        return _cpython_abis(sys.version_info[:2])
    soabi = parts[1]
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        return []
    return [_normalize_string(abi)]


def generic_tags(platforms):
    interpreter = interpreter_name() + interpreter_version()
    abis = _generic_abi()
    if "none" not in abis:
        abis.append("none")
    return [(interpreter, abi, platform_) for abi in abis for platform_ in platforms]


def _py_interpreter_range(py_version):
    # py312, py3, py311, ..., py30
    versions = []
    if len(py_version) > 1:
        versions.append("py{}".format(_version_nodot(py_version[:2])))
    versions.append("py{}".format(py_version[0]))
    if len(py_version) > 1:
        for minor in range(py_version[1] - 1, -1, -1):
            versions.append("py{}".format(_version_nodot((py_version[0], minor))))
    return versions


def compatible_tags(python_version, interpreter, platforms):
    tags = []
    for version in _py_interpreter_range(python_version):
        for platform_ in platforms:
            tags.append((version, "none", platform_))
    if interpreter:
        tags.append((interpreter, "none", "any"))
    for version in _py_interpreter_range(python_version):
        tags.append((version, "none", "any"))
    return tags


def sys_tags():
    """This interpreter's tags as strings, best first: `[str(t) for t in packaging.tags.sys_tags()]`."""
    python_version = sys.version_info[:2]
    # packaging computes the platform list twice (once per generator); it is deterministic, so once.
    platforms = platform_tags()
    interp_name = interpreter_name()
    if interp_name == "cp":
        tags = cpython_tags(python_version, platforms)
    else:
        tags = generic_tags(platforms)
    if interp_name == "pp":
        interp = "pp3"
    elif interp_name == "cp":
        interp = "cp" + interpreter_version()
    else:
        interp = None
    tags.extend(compatible_tags(python_version, interp, platforms))
    # packaging's Tag lower-cases each part.
    return ["-".join(part.lower() for part in tag) for tag in tags]


# --- marker environment (packaging/markers.py; PEP 508 "Environment Markers") -----------------

def format_full_version(info):
    version = "{0.major}.{0.minor}.{0.micro}".format(info)
    kind = info.releaselevel
    if kind != "final":
        version += kind[0] + str(info.serial)
    return version


def default_environment():
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": format_full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


# --- the profile ---------------------------------------------------------------------------------

def libc():
    """["glibc", "2.36"], ["musl", "1.2"], or None (another libc, or not Linux)."""
    glibc = glibc_version_string()
    if glibc:
        return ["glibc", glibc]
    musl = musl_version(sys.executable)
    if musl is not None:
        return ["musl", "{}.{}".format(musl[0], musl[1])]
    return None


def profile():
    """The target profile of this interpreter, shaped like sneakpack's target files."""
    return {
        "probe_version": PROBE_VERSION,
        "captured_with": CAPTURED_WITH,
        "python": {
            "version": platform.python_version(),
            "implementation": sys.implementation.name,
            "sysconfig_platform": sysconfig.get_platform(),
            "soabi": sysconfig.get_config_var("SOABI"),
            "libc": libc(),
        },
        "uname_machine": platform.machine(),
        "marker_environment": default_environment(),
        "tags": sys_tags(),
    }


def main(argv=None):
    if sys.version_info < MINIMUM_PYTHON:
        sys.stderr.write(
            "sneakpack probe: needs Python {}.{} or newer; this is {} ({})\n".format(
                MINIMUM_PYTHON[0], MINIMUM_PYTHON[1], sys.version.split()[0], sys.executable
            )
        )
        return 2
    import argparse

    parser = argparse.ArgumentParser(
        prog="sneakpack-probe",
        description="Describe this Python interpreter as a sneakpack target profile (JSON).",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the JSON to FILE, not stdout")
    args = parser.parse_args(argv)
    text = json.dumps(profile(), indent=1) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
