/**
 * The target probe (src/target/probe.py, run through src/target/probe.ts) against the reference:
 * pypa `packaging` 24.1 (pip's vendored copy in pyenv's CPython 3.13) running INSIDE the probed
 * interpreter. packaging's `sys_tags()` and `default_environment()` depend on the interpreter
 * only through `sys`, `sysconfig`, `platform`, `os.confstr`, ctypes and the ELF header of
 * `sys.executable`, so packaging's own code executed in that interpreter is the exact reference.
 *
 * 1. Every pyenv interpreter here (3.6 … 3.13): probe output == packaging 24.1 in that interpreter.
 * 2. The pyenv captures in /work/shared/targets == the probe on the matching interpreter.
 * 3. Scenarios the machine cannot show (ARM and i386 ELF headers, musl loaders, other glibc
 *    versions, `_manylinux` hook modules, debug / free-threaded builds, PyPy, macOS, Windows):
 *    generated cases, the environment patched under both implementations in one CPython 3.13.
 * 4. Isolation flags, error reporting, the CLI subcommand, and the embedded copy of the script.
 */
import { TARGETS_DIR } from '../helpers/targets.js';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerProbe } from '../../src/commands/probe.js';
import { isSneakpackError, type ErrorCode } from '../../src/errors.js';
import { PROBE_SCRIPT, probeInterpreter, validateProbedProfile, type ProbedProfile } from '../../src/target/probe.js';
import { ROOT } from '../helpers/cli.js';
import { Rng } from '../helpers/random.js';
import { referencePython, runReference } from '../helpers/reference.js';

const execFileAsync = promisify(execFile);

const PROBE_PY = join(ROOT, 'src', 'target', 'probe.py');
const PROBE_SCRIPT_TS = join(ROOT, 'src', 'target', 'probe-script.ts');

// --- the embedded copy ----------------------------------------------------------------------

/** The content src/target/probe-script.ts must have for the current probe.py (one line per line). */
function renderProbeScriptModule(py: string): string {
  return [
    '// GENERATED from src/target/probe.py by test/target/probe.test.ts. Do not edit by hand: change',
    '// probe.py, then run  SNEAKPACK_UPDATE_PROBE_SCRIPT=1 npx vitest run test/target/probe.test.ts',
    '',
    '/** The text of src/target/probe.py (./probe.ts says why it is embedded). */',
    'export const PROBE_SCRIPT_TEXT: string = [',
    ...py.split('\n').map((line) => `  ${JSON.stringify(line)},`),
    "].join('\\n');",
    '',
  ].join('\n');
}

describe('the embedded probe script', () => {
  const py = readFileSync(PROBE_PY, 'utf8');

  it('is byte for byte src/target/probe.py (regenerate with SNEAKPACK_UPDATE_PROBE_SCRIPT=1)', () => {
    const wanted = renderProbeScriptModule(py);
    if (process.env.SNEAKPACK_UPDATE_PROBE_SCRIPT === '1') writeFileSync(PROBE_SCRIPT_TS, wanted);
    expect(readFileSync(PROBE_SCRIPT_TS, 'utf8'), 'src/target/probe-script.ts is stale').toBe(wanted);
    // Imported before any regeneration, so this checks the module vitest actually loaded.
    expect(PROBE_SCRIPT === py, 'PROBE_SCRIPT differs from probe.py; regenerate probe-script.ts').toBe(true);
  });

  it('is ASCII, so it survives any locale, editor or USB stick', () => {
    const offending = [...py].findIndex((c) => c.charCodeAt(0) > 0x7e || (c.charCodeAt(0) < 0x20 && c !== '\n'));
    expect(offending, `non-ASCII or control character at offset ${offending}`).toBe(-1);
  });
});

// --- interpreters and the reference -----------------------------------------------------------

interface Interpreter {
  readonly version: string;
  readonly python: string;
}

const PYENV_VERSIONS = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions');

function pyenvInterpreters(major: 2 | 3): Interpreter[] {
  if (!existsSync(PYENV_VERSIONS)) return [];
  return readdirSync(PYENV_VERSIONS)
    .filter((v) => new RegExp(`^${major}\\.\\d+\\.\\d+$`).test(v))
    .map((version) => ({ version, python: join(PYENV_VERSIONS, version, 'bin', major === 3 ? 'python3' : 'python') }))
    .filter((i) => existsSync(i.python))
    .sort((a, b) => cmpVersion(a.version, b.version));
}

function cmpVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

/** Python 3 interpreters to probe; Python 2 is not a target (the script refuses it, see below). */
const INTERPRETERS = pyenvInterpreters(3);
const PY2 = pyenvInterpreters(2)[0];

/**
 * Runs packaging 24.1 (from the reference interpreter's pip) inside another interpreter.
 * argv: packaging directory, mode. "import" imports pip._vendor.packaging as is (needs 3.8+:
 * packaging 24.1 uses `from __future__ import annotations`, 3.7+, bare `@functools.lru_cache`,
 * 3.8+, and `typing.TypedDict`, 3.8+). "ast" loads the same files with annotations turned into
 * inert strings (what `from __future__ import annotations` does anyway: they are never
 * evaluated), bare `@lru_cache` called with its defaults, and from markers.py only the two
 * functions `default_environment` needs. No logic changes, so on 3.6 and 3.7 this is still
 * packaging 24.1's own code; on 3.8+ the tests check that both modes agree.
 */
const REFERENCE_IN_INTERPRETER = String.raw`
import ast, json, os, platform, sys, sysconfig, types
PKG, MODE = sys.argv[1], sys.argv[2]

def constant(value):
    return ast.Constant(value) if sys.version_info >= (3, 8) else ast.Str(s=value)

class Portable(ast.NodeTransformer):
    def visit_ImportFrom(self, node):
        return None if node.module == "__future__" else node
    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        a = node.args
        for arg in a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]:
            arg.annotation = None
        node.returns = None
        node.decorator_list = [
            ast.Call(func=d, args=[], keywords=[])
            if isinstance(d, ast.Attribute) and d.attr == "lru_cache" else d
            for d in node.decorator_list
        ]
        return node
    def visit_AnnAssign(self, node):
        node.annotation = constant("annotation")
        return node

def parse(name):
    path = os.path.join(PKG, name + ".py")
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    return path, tree

def load(name):
    path, tree = parse(name)
    code = compile(ast.fix_missing_locations(Portable().visit(tree)), path, "exec")
    mod = types.ModuleType("refpkg." + name)
    mod.__file__, mod.__package__ = path, "refpkg"
    sys.modules[mod.__name__] = mod
    exec(code, mod.__dict__)
    setattr(sys.modules["refpkg"], name, mod)
    return mod

if MODE == "import":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(PKG))))
    from pip._vendor.packaging import tags, markers, __version__
    assert __version__ == "24.1", __version__
    assert os.path.dirname(tags.__file__) == PKG, tags.__file__
    default_environment = markers.default_environment
else:
    package = types.ModuleType("refpkg")
    package.__path__ = []
    sys.modules["refpkg"] = package
    for name in ("_elffile", "_manylinux", "_musllinux"):
        load(name)
    tags = load("tags")
    path, tree = parse("markers")
    tree.body = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("format_full_version", "default_environment")]
    assert len(tree.body) == 2
    namespace = {"os": os, "sys": sys, "platform": platform}
    exec(compile(ast.fix_missing_locations(Portable().visit(tree)), path, "exec"), namespace)
    default_environment = namespace["default_environment"]

try:
    glibc = os.confstr("CS_GNU_LIBC_VERSION").split()
except (AttributeError, OSError, ValueError):
    glibc = None
json.dump({
    "tags": [str(t) for t in tags.sys_tags()],
    "marker_environment": default_environment(),
    "python": {
        "version": platform.python_version(),
        "implementation": sys.implementation.name,
        "sysconfig_platform": sysconfig.get_platform(),
        "soabi": sysconfig.get_config_var("SOABI"),
        "libc": glibc,
    },
    "uname_machine": platform.machine(),
}, sys.stdout)
`;

interface Reference {
  tags: string[];
  marker_environment: Record<string, string>;
  python: Record<string, unknown>;
  uname_machine: string;
}

let packagingDir = '';
function referencePackagingDir(): string {
  if (!packagingDir) {
    packagingDir = execFileSync(referencePython(), ['-I', '-c', 'import os, pip._vendor.packaging as p; print(os.path.dirname(p.__file__))'], {
      encoding: 'utf8',
    }).trim();
  }
  return packagingDir;
}

async function referenceIn(python: string, mode: 'import' | 'ast'): Promise<Reference> {
  const { stdout } = await execFileAsync(python, ['-I', '-c', REFERENCE_IN_INTERPRETER, referencePackagingDir(), mode], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  return JSON.parse(stdout) as Reference;
}

function minorOf(version: string): [number, number] {
  const [a, b] = version.split('.').map(Number);
  return [a!, b!];
}

/** Up to 20 positions where two tag lists differ, for a readable failure. */
function tagDifferences(got: readonly string[], want: readonly string[]): string[] {
  const out: string[] = [];
  if (got.length !== want.length) out.push(`length: probe ${got.length}, packaging ${want.length}`);
  for (let i = 0; i < Math.max(got.length, want.length) && out.length < 20; i++) {
    if (got[i] !== want[i]) out.push(`[${i}] probe ${got[i] ?? '(none)'} / packaging ${want[i] ?? '(none)'}`);
  }
  return out;
}

// --- 1. every interpreter here --------------------------------------------------------------

describe('probe vs packaging 24.1 in the same interpreter', () => {
  it('has pyenv interpreters to probe', () => {
    expect(INTERPRETERS.length, `no CPython 3 under ${PYENV_VERSIONS}`).toBeGreaterThan(0);
  });

  it.each(INTERPRETERS)('CPython $version', async ({ version, python }) => {
    const direct = cmpVersion(version, '3.8.0') >= 0;
    const [profile, reference, viaAst] = await Promise.all([
      probeInterpreter(python),
      referenceIn(python, direct ? 'import' : 'ast'),
      direct ? referenceIn(python, 'ast') : Promise.resolve(undefined),
    ]);
    expect(tagDifferences(profile.tags, reference.tags)).toEqual([]);
    expect(profile.marker_environment).toEqual(reference.marker_environment);
    expect(Object.keys(profile.marker_environment)).toEqual(Object.keys(reference.marker_environment));
    // The plain fields come from the same calls; this checks the wiring and the shape.
    expect(profile.python.version).toBe(version);
    expect(profile.python).toEqual(reference.python);
    expect(profile.uname_machine).toBe(reference.uname_machine);
    expect(profile.probe_version).toBe(1);
    expect(profile.captured_with).toBe('sneakpack probe (packaging 24.1 rules)');
    // The loader used for 3.6 / 3.7 is packaging's own code: where plain import works, they agree.
    if (viaAst) expect(viaAst).toEqual(reference);
  });
});

// --- 2. the pyenv captures ----------------------------------------------------------------------

describe('probe vs the pyenv captures in /work/shared/targets', () => {
  const captures = existsSync(TARGETS_DIR) ? readdirSync(TARGETS_DIR).filter((f) => /^pyenv-x86_64-cp3\d+\.json$/.test(f)) : [];

  it('finds the captures', () => {
    expect(captures.length).toBeGreaterThanOrEqual(4);
  });

  it.each(captures)('%s', async (file) => {
    const capture = JSON.parse(readFileSync(join(TARGETS_DIR, file), 'utf8')) as ProbedProfile;
    const [maj, min] = minorOf(capture.python.version);
    const interp = INTERPRETERS.find((i) => minorOf(i.version).join('.') === `${maj}.${min}`);
    expect(interp, `no pyenv CPython ${maj}.${min} here to compare ${file} with`).toBeDefined();
    const probed = await probeInterpreter(interp!.python);
    expect(probed.uname_machine).toBe(capture.uname_machine);
    expect(probed.python.sysconfig_platform).toBe(capture.python.sysconfig_platform);
    expect(probed.python.soabi).toBe(capture.python.soabi);

    let want = [...capture.tags!];
    // cp38 and cp312 were captured with pip's vendored packaging 21.3 (pip 23.x), which does not
    // yield `cpXY-none-any`; 24.1 yields it between the py*-none-<platform> tags and the
    // py*-none-any ones. (Checked: 21.3's sys_tags() in those interpreters reproduces the files.)
    const cpNoneAny = `cp${maj}${min}-none-any`;
    if (!want.includes(cpNoneAny)) want.splice(want.findIndex((t) => /^py\d+-none-any$/.test(t)), 0, cpNoneAny);
    let got = [...probed.tags];
    // Same glibc here (Debian 12, 2.36) as on the capturing machine; should it ever differ, the
    // lists can agree only up to the lower glibc, so cut both there.
    const glibcMinor = (p: ProbedProfile): number => Number(p.python.libc?.[1]?.split('.')[1] ?? -1);
    const bound = Math.min(glibcMinor(probed), glibcMinor(capture));
    const belowBound = (t: string): boolean => !/manylinux_2_(\d+)_/.test(t) || Number(/manylinux_2_(\d+)_/.exec(t)![1]) <= bound;
    if (glibcMinor(probed) !== glibcMinor(capture)) {
      want = want.filter(belowBound);
      got = got.filter(belowBound);
    }
    expect(tagDifferences(got, want)).toEqual([]);

    // The kernel build differs between boots, and the patch release may differ too.
    const kernelAndPatch = new Set(['platform_release', 'platform_version', 'python_full_version', 'implementation_version']);
    const strip = (env: object): Record<string, string> =>
      Object.fromEntries(Object.entries(env).filter(([k]) => !kernelAndPatch.has(k))) as Record<string, string>;
    expect(strip(probed.marker_environment)).toEqual(strip(capture.marker_environment!));
  });
});

// --- 3. scenarios this machine cannot show --------------------------------------------------

/** A minimal ELF header (+ PT_LOAD and PT_INTERP program headers when `interp` is given). */
function elf(o: { cls: number; data: 1 | 2; machine: number; flags?: number; interp?: string }): Buffer {
  const buf = Buffer.alloc(512);
  const le = o.data === 1;
  const u16 = (off: number, v: number): void => void (le ? buf.writeUInt16LE(v, off) : buf.writeUInt16BE(v, off));
  const u32 = (off: number, v: number): void => void (le ? buf.writeUInt32LE(v >>> 0, off) : buf.writeUInt32BE(v >>> 0, off));
  const u64 = (off: number, v: number): void => void (le ? buf.writeBigUInt64LE(BigInt(v), off) : buf.writeBigUInt64BE(BigInt(v), off));
  buf.set([0x7f, 0x45, 0x4c, 0x46, o.cls, o.data, 1], 0);
  const is64 = o.cls === 2;
  const phoff = 64;
  const phentsize = is64 ? 56 : 32;
  const phnum = o.interp === undefined ? 0 : 2;
  u16(16, 2); // ET_EXEC
  u16(18, o.machine);
  u32(20, 1);
  if (is64) {
    u64(32, phoff);
    u32(48, o.flags ?? 0);
    u16(54, phentsize);
    u16(56, phnum);
  } else {
    u32(28, phoff);
    u32(36, o.flags ?? 0);
    u16(42, phentsize);
    u16(44, phnum);
  }
  if (o.interp !== undefined) {
    const interpOffset = 256;
    const bytes = Buffer.from(o.interp + '\0', 'utf8');
    bytes.copy(buf, interpOffset);
    [
      [1, 0, 0],
      [3, interpOffset, bytes.length],
    ].forEach(([type, offset, size], i) => {
      const base = phoff + i * phentsize;
      u32(base, type!);
      if (is64) {
        u64(base + 8, offset!);
        u64(base + 32, size!);
      } else {
        u32(base + 4, offset!);
        u32(base + 16, size!);
      }
    });
  }
  return buf;
}

/** A stand-in musl loader: run without arguments, musl prints its banner on stderr. */
function fakeLoader(path: string, banner: string): void {
  writeFileSync(path, `#!/bin/sh\nprintf '%b' '${banner}' >&2\nexit 1\n`);
  chmodSync(path, 0o755);
}

const SCENARIO_DRIVER = String.raw`
import ctypes, importlib.util, os, platform, sys, sysconfig, types, warnings
from importlib.machinery import EXTENSION_SUFFIXES
from pip._vendor.packaging import _manylinux, _musllinux

spec = importlib.util.spec_from_file_location("sneakpack_probe", INPUT["probe"])
probe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(probe)

real = dict(
    get_platform=sysconfig.get_platform, get_config_var=sysconfig.get_config_var, confstr=os.confstr,
    executable=sys.executable, system=platform.system, mac_ver=platform.mac_ver,
    implementation=sys.implementation, version_info=sys.version_info, CDLL=ctypes.CDLL,
    is32=probe._is_32bit_interpreter, linux_defaults=tags._linux_platforms.__defaults__,
    mac_defaults=tags._mac_arch.__defaults__,
)

def hook_module(spec):
    mod = types.ModuleType("_manylinux")
    if spec["kind"] == "fn":
        def manylinux_compatible(major, minor, arch):
            if arch == spec["veto_arch"]:
                return False
            if minor > spec["max_minor"]:
                return 0
            if minor < spec["none_below"]:
                return None
            return 1
        mod.manylinux_compatible = manylinux_compatible
    elif spec["kind"] == "legacy":
        for key, value in spec["flags"].items():
            setattr(mod, key, value)
    return mod

def attempt(fn):
    try:
        return fn()
    except Exception as e:
        return "raised " + type(e).__name__

def run(case):
    cfg = case["config"]
    sysconfig.get_platform = lambda: case["platform"]
    sysconfig.get_config_var = lambda name: cfg[name] if name in cfg else real["get_config_var"](name)
    def confstr(name):
        if case["confstr"] == "raise":
            raise OSError(22, "Invalid argument")
        if case["confstr"] == "unknown-name":
            raise ValueError("unrecognized configuration name")
        return case["confstr"]
    os.confstr = confstr
    if case["no_dlopen"]:
        def no_dlopen(*args, **kwargs):
            raise OSError("Dynamic loading not supported")
        ctypes.CDLL = no_dlopen
    sys.executable = case["executable"]
    platform.system = lambda: case["system"]
    platform.mac_ver = lambda: (case["mac_version"], ("", "", ""), case["mac_arch"])
    sys.implementation = types.SimpleNamespace(**dict(vars(real["implementation"]), name=case["implementation"]))
    sys.version_info = (3, case["minor"]) + tuple(real["version_info"][2:])
    tags._linux_platforms.__defaults__ = (case["is32"],)
    tags._mac_arch.__defaults__ = (case["is32"],)
    probe._is_32bit_interpreter = lambda: case["is32"]
    if case["refcount"]:
        sys.gettotalrefcount = lambda: 0
    if case["ext_d"]:
        EXTENSION_SUFFIXES.append("_d.pyd")
    if case["hook"]:
        sys.modules["_manylinux"] = hook_module(case["hook"])
    _manylinux._get_glibc_version.cache_clear()
    _musllinux._get_musl_version.cache_clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {
                "want": attempt(lambda: [str(t) for t in tags.sys_tags()]),
                "got": attempt(probe.sys_tags),
                "want_env": attempt(markers.default_environment),
                "got_env": attempt(probe.default_environment),
            }
    finally:
        sysconfig.get_platform = real["get_platform"]
        sysconfig.get_config_var = real["get_config_var"]
        os.confstr = real["confstr"]
        ctypes.CDLL = real["CDLL"]
        sys.executable = real["executable"]
        platform.system = real["system"]
        platform.mac_ver = real["mac_ver"]
        sys.implementation = real["implementation"]
        sys.version_info = real["version_info"]
        tags._linux_platforms.__defaults__ = real["linux_defaults"]
        tags._mac_arch.__defaults__ = real["mac_defaults"]
        probe._is_32bit_interpreter = real["is32"]
        if case["refcount"]:
            del sys.gettotalrefcount
        if case["ext_d"]:
            EXTENSION_SUFFIXES.remove("_d.pyd")
        sys.modules.pop("_manylinux", None)

emit([run(case) for case in INPUT["cases"]])
`;

interface Scenario {
  label: string;
  system: string;
  platform: string;
  executable: string;
  confstr: string | null;
  no_dlopen: boolean;
  config: Record<string, string | number | null>;
  implementation: string;
  minor: number;
  is32: boolean;
  refcount: boolean;
  ext_d: boolean;
  hook: null | { kind: 'fn'; max_minor: number; none_below: number; veto_arch: string } | { kind: 'legacy'; flags: Record<string, unknown> } | { kind: 'empty' };
  mac_version: string;
  mac_arch: string;
}

describe('probe vs packaging 24.1 in generated scenarios (patched CPython 3.13)', () => {
  let dir = '';
  let executables: Record<string, string> = {};

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sneakpack-probe-'));
    mkdirSync(join(dir, 'musl11'));
    fakeLoader(join(dir, 'ld-musl-x86_64.so.1'), 'musl libc (x86_64)\\nVersion 1.2.3\\nDynamic Program Loader\\nUsage: ld [options] [--] pathname [args]\\n');
    fakeLoader(join(dir, 'musl11', 'ld-musl-armhf.so.1'), '\\n  musl libc (armhf)\\n\\nVersion 1.1.24\\n');
    fakeLoader(join(dir, 'ld-musl-garbled.so.1'), 'musl libc\\nno version line\\n');
    fakeLoader(join(dir, 'ld-notmusl-but-musl-in-path.so'), 'GNU ld.so\\nVersion 2.36\\n');
    const files: Record<string, Buffer | string> = {
      armhf: elf({ cls: 1, data: 1, machine: 40, flags: 0x05000400 }),
      armel: elf({ cls: 1, data: 1, machine: 40, flags: 0x05000000 }),
      'arm-old-abi': elf({ cls: 1, data: 1, machine: 40, flags: 0x04000400 }),
      'arm-big-endian': elf({ cls: 1, data: 2, machine: 40, flags: 0x05000400 }),
      i386: elf({ cls: 1, data: 1, machine: 3 }),
      'i386-64bit-class': elf({ cls: 2, data: 1, machine: 3 }),
      'x86_64-glibc': elf({ cls: 2, data: 1, machine: 62, interp: '/lib64/ld-linux-x86-64.so.2' }),
      'x86_64-musl-1.2': elf({ cls: 2, data: 1, machine: 62, interp: join(dir, 'ld-musl-x86_64.so.1') }),
      'armhf-musl-1.1': elf({ cls: 1, data: 1, machine: 40, flags: 0x05000400, interp: join(dir, 'musl11', 'ld-musl-armhf.so.1') }),
      's390x-msb-musl-1.2': elf({ cls: 2, data: 2, machine: 22, interp: join(dir, 'ld-musl-x86_64.so.1') }),
      'musl-garbled-banner': elf({ cls: 2, data: 1, machine: 62, interp: join(dir, 'ld-musl-garbled.so.1') }),
      'musl-in-path-only': elf({ cls: 2, data: 1, machine: 62, interp: join(dir, 'ld-notmusl-but-musl-in-path.so') }),
      'musl-loader-missing': elf({ cls: 2, data: 1, machine: 62, interp: join(dir, 'ld-musl-gone.so.1') }),
      'bad-class': elf({ cls: 3, data: 1, machine: 62 }),
      truncated: elf({ cls: 2, data: 1, machine: 62 }).subarray(0, 20),
      'not-elf': '#!/bin/sh\nexit 0\n',
      empty: '',
    };
    executables = { real: referencePython(), missing: join(dir, 'no-such-python'), directory: dir, 'empty-path': '' };
    for (const [name, content] of Object.entries(files)) {
      executables[name] = join(dir, name);
      writeFileSync(executables[name]!, content);
    }
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function scenarios(): Scenario[] {
    const base: Scenario = {
      label: '',
      system: 'Linux',
      platform: 'linux-x86_64',
      executable: executables.real!,
      confstr: 'glibc 2.36',
      no_dlopen: false,
      config: {},
      implementation: 'cpython',
      minor: 13,
      is32: false,
      refcount: false,
      ext_d: false,
      hook: null,
      mac_version: '',
      mac_arch: '',
    };
    const cases: Scenario[] = [];
    // Every executable on the Linux architectures whose manylinux rules differ.
    for (const [name, executable] of Object.entries(executables)) {
      for (const platform of ['linux-x86_64', 'linux-i686', 'linux-aarch64', 'linux-armv7l', 'linux-armv8l', 'linux-s390x']) {
        cases.push({ ...base, label: `${name} on ${platform}`, executable, platform });
      }
    }
    // macOS, every version boundary × architecture × bitness.
    for (const mac_version of ['10.0', '10.3', '10.4', '10.5', '10.6', '10.7', '10.15', '11.0', '11.2', '12.6.1', '13.0', '14.5', '15.0']) {
      for (const mac_arch of ['x86_64', 'arm64', 'i386', 'ppc', 'ppc64', 'PowerPC']) {
        for (const is32 of [false, true]) {
          cases.push({ ...base, label: `macOS ${mac_version} ${mac_arch}${is32 ? ' 32-bit' : ''}`, system: 'Darwin', platform: 'macosx-10.9-universal2', mac_version, mac_arch, is32 });
        }
      }
    }
    // Each PEP 600 hook form, vetoing and allowing.
    for (const key of ['manylinux1_compatible', 'manylinux2010_compatible', 'manylinux2014_compatible']) {
      for (const value of [false, true, 0, 'yes']) {
        cases.push({ ...base, label: `hook ${key} = ${JSON.stringify(value)}`, hook: { kind: 'legacy', flags: { [key]: value } } });
      }
    }
    for (const veto_arch of ['x86_64', 'none']) {
      cases.push({ ...base, label: `hook manylinux_compatible (veto ${veto_arch})`, hook: { kind: 'fn', max_minor: 28, none_below: 12, veto_arch } });
    }
    cases.push({ ...base, label: 'hook module without hooks', hook: { kind: 'empty' } });
    // Random combinations of everything else.
    const rng = new Rng(0x9e3779b9);
    const linuxPlatforms = ['linux-x86_64', 'linux-i686', 'linux-aarch64', 'linux-armv7l', 'linux-armv8l', 'linux-armv6l', 'linux-ppc64le', 'linux-ppc64', 'linux-s390x', 'linux-riscv64', 'linux-loongarch64', 'linux-mips64', 'linux-X86_64', 'cygwin-3.4.9-x86_64'];
    const otherPlatforms: [string, string][] = [['Windows', 'win-amd64'], ['Windows', 'win32'], ['Windows', 'mingw_x86_64_ucrt'], ['FreeBSD', 'freebsd-13.2-RELEASE-amd64'], ['Emscripten', 'emscripten-3.1.45-wasm32']];
    const confstrs = ['glibc 2.36', 'glibc 2.17', 'glibc 2.12', 'glibc 2.5', 'glibc 2.4', 'glibc 2.0', 'glibc 3.1', 'glibc 2.20-2014.11', 'glibc junk', 'glibc', '2.28', 'a b c', null, 'raise', 'unknown-name'];
    const configChoices: Record<string, (string | number | null)[]> = {
      EXT_SUFFIX: ['.cpython-313-x86_64-linux-gnu.so', '.cpython-313t-x86_64-linux-gnu.so', '.pypy38-pp73-x86_64-linux-gnu.so', '.graalpy-38-native-x86_64-darwin.dylib', '.cp310-win_amd64.pyd', '.pyd', '.so', '..so', '.Abc-Def.so', '', 'nodot.so', null],
      Py_DEBUG: [0, 1, null],
      Py_GIL_DISABLED: [0, 1, null],
      WITH_PYMALLOC: [0, 1, null],
      Py_UNICODE_SIZE: [2, 4, null],
      py_version_nodot: ['313', '38', '', null, 310],
    };
    const archsForHooks = ['x86_64', 'aarch64', 'armv7l', 'i686', 'none'];
    for (let n = 0; n < 260; n++) {
      const c: Scenario = { ...base, label: `random #${n}`, config: {} };
      const pickSystem = rng.next();
      if (pickSystem < 0.75) {
        c.platform = rng.pick(linuxPlatforms);
      } else if (pickSystem < 0.85) {
        [c.system, c.platform] = ['Darwin', 'macosx-11.0-arm64'];
        c.mac_version = rng.pick(['10.9', '10.15', '11.0', '13.4', '14.0']);
        c.mac_arch = rng.pick(['x86_64', 'arm64']);
      } else {
        [c.system, c.platform] = rng.pick(otherPlatforms);
      }
      c.executable = rng.chance(0.5) ? executables.real! : rng.pick(Object.values(executables));
      c.confstr = rng.pick(confstrs);
      c.no_dlopen = rng.chance(0.3);
      for (const [name, values] of Object.entries(configChoices)) if (rng.chance(0.3)) c.config[name] = rng.pick(values);
      c.implementation = rng.chance(0.7) ? 'cpython' : rng.pick(['pypy', 'graalpy', 'python', 'ironpython', 'jython', 'MyPython']);
      // Mostly with the EXT_SUFFIX that implementation really has.
      if (c.implementation === 'pypy' && rng.chance(0.7)) c.config.EXT_SUFFIX = '.pypy38-pp73-x86_64-linux-gnu.so';
      if (c.implementation === 'graalpy' && rng.chance(0.7)) c.config.EXT_SUFFIX = '.graalpy-38-native-x86_64-darwin.dylib';
      c.minor = rng.chance(0.6) ? 13 : rng.pick([0, 1, 2, 3, 7, 8, 12, 14]);
      c.is32 = rng.chance(0.2);
      c.refcount = rng.chance(0.15);
      c.ext_d = rng.chance(0.15);
      const hook = rng.next();
      if (hook < 0.2) {
        c.hook = { kind: 'fn', max_minor: rng.pick([4, 17, 28, 40]), none_below: rng.pick([0, 5, 12, 20]), veto_arch: rng.pick(archsForHooks) };
      } else if (hook < 0.35) {
        const flags: Record<string, unknown> = {};
        for (const key of ['manylinux1_compatible', 'manylinux2010_compatible', 'manylinux2014_compatible']) {
          if (rng.chance(0.6)) flags[key] = rng.pick([true, false, 0, 1, '', 'yes']);
        }
        c.hook = { kind: 'legacy', flags };
      } else if (hook < 0.4) {
        c.hook = { kind: 'empty' };
      }
      cases.push(c);
    }
    return cases;
  }

  it('agree on sys_tags() and default_environment() in every scenario', () => {
    const cases = scenarios();
    const results = runReference<{ want: unknown; got: unknown; want_env: unknown; got_env: unknown }[]>(SCENARIO_DRIVER, {
      probe: PROBE_PY,
      cases,
    });
    expect(results).toHaveLength(cases.length);
    const disagreements: string[] = [];
    results.forEach((r, i) => {
      const same = JSON.stringify(r.got) === JSON.stringify(r.want) && JSON.stringify(r.got_env) === JSON.stringify(r.want_env);
      if (!same && disagreements.length < 20) {
        const detail =
          Array.isArray(r.got) && Array.isArray(r.want)
            ? tagDifferences(r.got as string[], r.want as string[]).slice(0, 5).join('; ')
            : `probe ${JSON.stringify(r.got)?.slice(0, 120)} / packaging ${JSON.stringify(r.want)?.slice(0, 120)}`;
        disagreements.push(`${cases[i]!.label}: ${detail || 'marker environment differs'}\n    case ${JSON.stringify(cases[i])}`);
      }
    });
    expect(disagreements).toEqual([]);
    // The scenarios must reach the branches they are for, or agreement proves little.
    const all = results.map((r) => (Array.isArray(r.want) ? (r.want as string[]) : []));
    const reached = (re: RegExp): number => all.filter((tags) => tags.some((t) => re.test(t))).length;
    expect(reached(/manylinux_2_\d+_armv7l$/)).toBeGreaterThan(0);
    expect(reached(/manylinux_2_\d+_i686$/)).toBeGreaterThan(0);
    expect(reached(/-musllinux_1_2_x86_64$/)).toBeGreaterThan(0);
    expect(reached(/-musllinux_1_1_armv7l$/)).toBeGreaterThan(0);
    expect(reached(/manylinux_3_\d+_/)).toBeGreaterThan(0);
    expect(reached(/-macosx_10_\d+_universal2$/)).toBeGreaterThan(0);
    expect(reached(/^pp\d+-pypy38_pp73-/)).toBeGreaterThan(0);
    expect(reached(/^graalpy\d+-graalpy_38_native-/)).toBeGreaterThan(0);
    expect(reached(/^cp313-cp313td?-/)).toBeGreaterThan(0);
    expect(reached(/^cp37-cp37d?m-/)).toBeGreaterThan(0);
    expect(results.filter((r) => typeof r.want === 'string').length, 'some scenarios make packaging raise').toBeGreaterThan(0);
  });
});

// --- 4. isolation, errors, CLI ------------------------------------------------------------------

const PY313 = INTERPRETERS.find((i) => i.version.startsWith('3.13.'))?.python ?? referencePython();

async function expectCode(promise: Promise<unknown>, code: ErrorCode, mentions: string): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isSneakpackError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  expect((err as Error).message).toContain(mentions);
  return err as Error;
}

describe('running the script', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sneakpack-probe-run-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('needs no site-packages: `-I -S` on the file gives what the wrapper gets, and -o writes it', async () => {
    const out = join(dir, 'box.json');
    const r = spawnSync(PY313, ['-I', '-S', PROBE_PY, '-o', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const written = readFileSync(out, 'utf8');
    const stdout = spawnSync(PY313, ['-I', '-S', PROBE_PY], { encoding: 'utf8' }).stdout;
    expect(written).toBe(stdout);
    expect(JSON.parse(written)).toEqual(await probeInterpreter(PY313));
    // Shaped like the shared captures: same keys in the same order, plus probe_version first.
    const capture = JSON.parse(readFileSync(join(TARGETS_DIR, 'pyenv-x86_64-cp313.json'), 'utf8')) as object;
    expect(Object.keys(JSON.parse(written) as object)).toEqual(['probe_version', ...Object.keys(capture)]);
  });

  it.skipIf(!PY2)('refuses Python 2 with a clear message, directly and through the wrapper', async () => {
    if (!PY2) return;
    const r = spawnSync(PY2.python, [PROBE_PY], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('needs Python 3.6 or newer');
    const err = await expectCode(probeInterpreter(PY2.python), 'PROBE_FAILED', PY2.python);
    expect(err.message).toContain('needs 3.6 or newer');
  });

  it('reports a missing interpreter, naming it', async () => {
    const missing = join(dir, 'bin', 'python3.99');
    await expectCode(probeInterpreter(missing), 'PROBE_FAILED', missing);
    await expectCode(probeInterpreter('sneakpack-no-such-python-3'), 'PROBE_FAILED', 'not found: sneakpack-no-such-python-3');
  });

  it('reports an interpreter that cannot run, fails, or prints garbage', async () => {
    const notExecutable = join(dir, 'python-noexec');
    writeFileSync(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    await expectCode(probeInterpreter(notExecutable), 'PROBE_FAILED', notExecutable);

    const script = (name: string, body: string): string => {
      const p = join(dir, name);
      writeFileSync(p, `#!/bin/sh\ncat >/dev/null\n${body}\n`, { mode: 0o755 });
      return p;
    };
    const failing = script('python-fails', 'echo "Traceback: boom" >&2; exit 3');
    const err = await expectCode(probeInterpreter(failing), 'PROBE_FAILED', failing);
    expect(err.message).toContain('status 3');
    expect(err.message).toContain('Traceback: boom');
    await expectCode(probeInterpreter(script('python-chatty', 'echo hello')), 'PROBE_FAILED', 'not JSON');
    await expectCode(probeInterpreter(script('python-old-probe', 'echo \'{"probe_version": 0}\'')), 'INVALID_TARGET', 'probe_version');
    // A child of the shell keeps the pipes open after the kill; the wrapper must not wait for it.
    const hangs = script('python-hangs', 'sleep 5 & wait');
    await expectCode(probeInterpreter(hangs, { timeoutMs: 300 }), 'PROBE_FAILED', hangs);
  });
});

describe('validateProbedProfile', () => {
  const good = JSON.parse(readFileSync(join(TARGETS_DIR, 'debian12-armv7l-cp311.json'), 'utf8')) as Record<string, unknown>;
  const withVersion = { ...good, probe_version: 1 };

  it('accepts a capture carrying probe_version, and freezes it', () => {
    const p = validateProbedProfile(withVersion, 'box.json');
    expect(p.tags).toEqual(good.tags);
    expect(Object.isFrozen(p) && Object.isFrozen(p.tags) && Object.isFrozen(p.python)).toBe(true);
  });

  it.each([
    ['not an object', [], '(top level)'],
    ['no probe_version', good, 'probe_version'],
    ['soabi a number', { ...withVersion, python: { ...(good.python as object), soabi: 3 } }, 'python.soabi'],
    ['libc of one part', { ...withVersion, python: { ...(good.python as object), libc: ['glibc'] } }, 'python.libc'],
    ['marker missing', { ...withVersion, marker_environment: { ...(good.marker_environment as object), sys_platform: undefined } }, 'marker_environment.sys_platform'],
    ['no tags', { ...withVersion, tags: [] }, 'tags'],
    ['a two-part tag', { ...withVersion, tags: ['py3-none'] }, 'tags[0]'],
  ])('rejects %s with INVALID_TARGET naming the field', (_name, value, field) => {
    let err: unknown;
    try {
      validateProbedProfile(value, 'box.json');
    } catch (e) {
      err = e;
    }
    expect(isSneakpackError(err, 'INVALID_TARGET')).toBe(true);
    expect((err as Error).message).toContain(field);
    expect((err as Error).message).toContain('box.json');
  });
});

describe('sneakpack target probe', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sneakpack-probe-cli-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The subcommand on a bare `target` command, as src/commands/target.ts mounts it. */
  async function run(args: string[]): Promise<string> {
    const out: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: () => {}, isTTY: false };
    const program = new Command('sneakpack').exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    registerProbe(program.command('target'), io);
    await program.parseAsync(['target', 'probe', ...args], { from: 'user' });
    return out.join('');
  }

  it('--script prints the standalone script; with -o it writes an executable file', async () => {
    expect(await run(['--script'])).toBe(PROBE_SCRIPT);
    const file = join(dir, 'sneakpack-probe.py');
    expect(await run(['--script', '-o', file])).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(PROBE_SCRIPT);
    expect(statSync(file).mode & 0o111).not.toBe(0);
  });

  it('--python probes that interpreter; -o writes the profile', async () => {
    const file = join(dir, 'box.json');
    expect(await run(['--python', PY313, '-o', file])).toBe('');
    const written = JSON.parse(readFileSync(file, 'utf8')) as ProbedProfile;
    expect(written).toEqual(await probeInterpreter(PY313));
    expect(JSON.parse(await run(['--python', PY313]))).toEqual(written);
  });

  it('rejects --script with --python, and a missing interpreter', async () => {
    await expectCode(run(['--script', '--python', PY313]), 'USAGE', '--script');
    await expectCode(run(['--python', join(dir, 'nope', 'python3')]), 'PROBE_FAILED', join(dir, 'nope', 'python3'));
  });
});
