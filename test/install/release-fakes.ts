/**
 * Fakes for the release manager's tests: a "bundle" that is a JSON file (manifest + file
 * contents), a fake extractor that lays it out like the real one (or fails like it, removing what
 * it wrote), a fixed box, and a venv that is just folders. The prefix bookkeeping under test is
 * real; only what the bundle and wheel modules do is faked.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SneakpackError } from '../../src/errors.js';
import type { BoxProbe, ReleaseManifest as BundleManifest, InstallOps, VenvInfo } from '../../src/install/index.js';

/** What a fake bundle file holds. */
export interface FakeBundle {
  readonly manifest: BundleManifest;
  /** `app/…` files: relative path → content. */
  readonly app?: Readonly<Record<string, string>>;
  /** Make extraction fail with this code after writing part of the bundle. */
  readonly failWith?: string;
}

export interface FakeApp {
  name?: string;
  version: string;
  wheels?: { file: string }[];
  scripts?: Record<string, string>;
  post_install?: string[][];
  data_dir_env?: string | null;
  requires_python?: string | null;
  keep_releases?: number | null;
  target?: string;
  /** The whole manifest target, for bundles built from a preset (no `uname_machine`). */
  targetObject?: { name: string; compact?: string; profile?: unknown };
  machine?: string;
  /** Anything, to make two bundles of one version differ. */
  salt?: string;
  failWith?: string;
}

export function fakeManifest(a: FakeApp): BundleManifest {
  const wheels = (a.wheels ?? [{ file: 'dep-1.0-py3-none-any.whl' }]).map((w) => ({
    file: w.file,
    name: w.file.split('-')[0]!,
    version: w.file.split('-')[1]!,
    sha256: createHash('sha256').update(w.file).digest('hex'),
    size: w.file.length,
    tags: [w.file.split('-').slice(-3).join('-').replace(/\.whl$/, '')],
  }));
  return {
    app: {
      name: a.name ?? 'My_App',
      version: a.version,
      scripts: a.scripts ?? { myapp: 'myapp.cli:main' },
      post_install: a.post_install ?? [],
      data_dir_env: a.data_dir_env === undefined ? 'MYAPP_DATA' : a.data_dir_env,
      requires_python: a.requires_python === undefined ? '>=3.8' : a.requires_python,
      keep_releases: a.keep_releases ?? null,
    },
    target: a.targetObject ?? { name: a.target ?? 'cp311-manylinux_2_17_x86_64', profile: { uname_machine: a.machine ?? 'x86_64' } },
    wheels,
  };
}

/** Write a fake bundle file into `dir` and return its path. */
export function writeFakeBundle(dir: string, a: FakeApp): string {
  const manifest = fakeManifest(a);
  const bundle: FakeBundle & { salt?: string } = {
    manifest,
    app: { 'myapp/__init__.py': `VERSION = ${JSON.stringify(a.version)}\n`, 'myapp/cli.py': 'def main():\n    return 0\n' },
    ...(a.failWith === undefined ? {} : { failWith: a.failWith }),
    ...(a.salt === undefined ? {} : { salt: a.salt }),
  };
  const file = path.join(dir, `${manifest.app.name}-${a.version}${a.salt ? `-${a.salt}` : ''}${a.failWith ? '-bad' : ''}.json`);
  fs.writeFileSync(file, JSON.stringify(bundle));
  return file;
}

/** The box: CPython 3.11 on x86_64 glibc. */
export const BOX: BoxProbe = {
  python: { version: '3.11.2' },
  uname_machine: 'x86_64',
  tags: [
    'cp311-cp311-manylinux_2_17_x86_64',
    'cp311-cp311-linux_x86_64',
    'cp311-abi3-manylinux_2_17_x86_64',
    'cp311-none-manylinux_2_17_x86_64',
    'py3-none-manylinux_2_17_x86_64',
    'cp311-none-any',
    'py311-none-any',
    'py3-none-any',
  ],
};

/** Operations that record what they were asked to do. */
export interface FakeOps extends InstallOps {
  readonly calls: string[];
}

/** Fake I/O; `overrides` replace single operations. Post-install commands run for real. */
export function fakeOps(overrides: Partial<InstallOps> = {}): FakeOps {
  const calls: string[] = [];
  const ops: InstallOps = {
    async extract(file, destDir) {
      calls.push(`extract ${path.basename(file)}`);
      const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as FakeBundle;
      const top = destDir; // the extractor drops the bundle's top folder
      fs.mkdirSync(path.join(top, 'wheels'), { recursive: true });
      fs.writeFileSync(path.join(top, 'manifest.json'), JSON.stringify(bundle.manifest));
      if (bundle.failWith !== undefined) {
        // The real extractor removes what it wrote before it throws.
        fs.rmSync(destDir, { recursive: true, force: true });
        throw new SneakpackError(bundle.failWith as never, `fake bundle ${file} refused`);
      }
      fs.writeFileSync(path.join(top, 'pylock.toml'), 'lock-version = "1.0"\n');
      for (const w of bundle.manifest.wheels) fs.writeFileSync(path.join(top, 'wheels', w.file), `wheel ${w.file}`);
      for (const [rel, text] of Object.entries(bundle.app ?? {})) {
        fs.mkdirSync(path.dirname(path.join(top, 'app', rel)), { recursive: true });
        fs.writeFileSync(path.join(top, 'app', rel), text);
      }
      return { manifest: bundle.manifest, keynum: '0123456789abcdef' };
    },
    async probe(python) {
      calls.push(`probe ${python}`);
      return BOX;
    },
    async createVenv(python, dir) {
      calls.push(`venv ${python}`);
      const site = path.join(dir, 'lib', 'python3.11', 'site-packages');
      fs.mkdirSync(site, { recursive: true });
      fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
      fs.mkdirSync(path.join(dir, 'include'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'pyvenv.cfg'), 'home = /usr/bin\n');
      const venv: VenvInfo = {
        dir,
        python: path.join(dir, 'bin', 'python'),
        pythonVersion: '3.11',
        scheme: { purelib: site, platlib: site, scripts: path.join(dir, 'bin'), headers: path.join(dir, 'include'), data: dir },
      };
      return venv;
    },
    async installWheel(wheelPath, venv) {
      calls.push(`wheel ${path.basename(wheelPath)}`);
      fs.copyFileSync(wheelPath, path.join(venv.scheme.purelib, `${path.basename(wheelPath)}.installed`));
    },
    async compile() {
      calls.push('compile');
    },
    ...overrides,
  } as InstallOps;
  // writeAppScripts, runCommand and hashFile stay real (defaults are merged in by installBundle).
  return Object.assign(ops, { calls }) as FakeOps;
}

/**
 * Every entry under `root` with its type, mode and content hash (or link target), sorted: two
 * equal listings mean the tree is byte-for-byte the same. A missing root lists as `(absent)`.
 */
export function treeListing(root: string): string[] {
  if (!fs.existsSync(root)) return ['(absent)'];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const st = fs.lstatSync(full);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`L ${rel} -> ${fs.readlinkSync(full)}`);
      else if (st.isDirectory()) {
        out.push(`D ${rel} ${mode}`);
        walk(full);
      } else out.push(`F ${rel} ${mode} ${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

/** A pid that belonged to a process that has exited. */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}
