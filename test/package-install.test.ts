// SLOW (~40 s on 2 cores): the packed package installs and loads without a compiler. A copy of this checkout is
// packed with `npm pack` (its prepack step puts the addon in prebuilds/<platform>-<arch>/), the tarball is
// installed into a temporary project with `npm install --ignore-scripts --offline` (dependencies from the npm
// cache, pinned by this repository's lockfile), and the installed package is loaded, CommonJS and ESM, and runs
// tensor ops. The install script's choice between the prebuild and a source build is checked with the
// compiler taken away (CC/CXX=false). Works on a copy, so the checkout's dist/ and prebuilds/ are untouched
// while other test files run.
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const TAG = `${process.platform}-${process.arch}`;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 100_000, env: { ...process.env, ...env } });
}
const out = (r: SpawnSyncReturns<string>) => `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}`;

const git = sh('git', ['ls-files', '-co', '--exclude-standard', '-z'], ROOT);
const built = fs.existsSync(path.join(ROOT, 'build', 'Release', 'tensorfield.node'));
const canRun = git.status === 0 && built && sh('npm', ['--version'], ROOT).status === 0;
if (!canRun) console.log('package-install: skipped (needs a git checkout, npm, and the addon built in build/Release)');

let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-pack-')); });
afterAll(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

(canRun ? test : test.skip)('npm pack carries the prebuild; the tarball installs with --ignore-scripts and runs without a compiler', () => {
  // 1. a copy of the checkout (tracked and new files, the source-built addon, this checkout's node_modules)
  const src = path.join(tmp, 'src');
  for (const f of git.stdout.split('\0').filter(Boolean)) {
    if (!fs.existsSync(path.join(ROOT, f))) continue;  // deleted but not yet committed
    fs.mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(src, f));
  }
  fs.mkdirSync(path.join(src, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'build', 'Release', 'tensorfield.node'), path.join(src, 'build', 'Release', 'tensorfield.node'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'));
  // a checkout has no prebuild, so its install builds from source (what CI's `npm ci` relies on)
  expect(out(sh(process.execPath, ['scripts/install.js', '--dry-run'], src))).toMatch(`would build from source: no prebuilt binary for ${TAG}`);

  // 2. npm pack: prepack copies the addon into prebuilds/, postpack removes it from the checkout again
  const packed = sh('npm', ['pack', '--pack-destination', tmp, '--json'], src);
  expect(packed.status).toBe(0);
  const tgz = path.join(tmp, `tensorfield-${pkg.version}.tgz`);
  // lifecycle scripts print to stdout before npm's JSON
  const files: string[] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m)))[0].files.map((f: { path: string }) => f.path);
  expect(files).toContain(`prebuilds/${TAG}/tensorfield.node`);
  expect(files).toContain('scripts/install.js');
  expect(files.some((f) => f.startsWith('build/'))).toBe(false);
  expect(fs.existsSync(path.join(src, 'prebuilds'))).toBe(false);

  // 3. a fresh project; its lockfile pins the dependencies to this repository's, so npm finds them in its cache
  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const spec = `file:../${path.basename(tgz)}`;
  const packages: Record<string, unknown> = {
    '': { name: 'app', version: '1.0.0', dependencies: { tensorfield: spec } },
    'node_modules/tensorfield': { version: pkg.version, resolved: spec, hasInstallScript: true, license: pkg.license,
      dependencies: pkg.dependencies, optionalDependencies: pkg.optionalDependencies, engines: pkg.engines, bin: pkg.bin },
  };
  for (const [k, v] of Object.entries(lock.packages as Record<string, { dev?: boolean }>)) if (k && !v.dev) packages[k] = v;
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { tensorfield: spec } }));
  fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
  const inst = sh('npm', ['install', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], app);
  expect(out(inst)).not.toMatch(/ERR/);
  expect(inst.status).toBe(0);
  const installed = path.join(app, 'node_modules', 'tensorfield');
  expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);  // no script ran: only the prebuild is there

  // 4. it loads and computes, as require and as import
  const cjs = sh(process.execPath, ['-e', "const tf = require('tensorfield'); const y = tf.tensor([1, 2, 3]).mul(2).sum(); " +
    "console.log(JSON.stringify({ y: y.item(), isa: tf.info().isa, silu: tf.nn.SiLU !== undefined }))"], app);
  expect(cjs.status).toBe(0);
  expect(JSON.parse(cjs.stdout.trim())).toMatchObject({ y: 12, silu: true });
  const esm = sh(process.execPath, ['--input-type=module', '-e',
    "import { tensor, matmul } from 'tensorfield'; console.log(matmul(tensor([[1, 2]]), tensor([[3], [4]])).item())"], app);
  expect(esm.stdout.trim()).toBe('11');

  // 5. the install script with the compiler taken away: it picks the prebuild and compiles nothing ...
  const noCompiler = { CC: 'false', CXX: 'false' };
  const rebuilt = sh('npm', ['rebuild', 'tensorfield', '--offline', '--foreground-scripts'], app, noCompiler);
  expect(out(rebuilt)).toMatch(`tensorfield install: prebuilt: using the prebuilt binary prebuilds/${TAG}/tensorfield.node`);
  expect(rebuilt.status).toBe(0);
  // ... and a forced source build really goes to the compiler (so the check above could fail)
  const forced = { ...noCompiler, TENSORFIELD_BUILD_FROM_SOURCE: '1' };
  expect(out(sh(process.execPath, ['scripts/install.js', '--dry-run'], installed, forced))).toMatch('would build from source: a source build was asked for');
  if (fs.existsSync('/usr/include/node/node.h')) {  // node-gyp must not try to download headers
    const r = sh(process.execPath, ['scripts/install.js'], installed, { ...forced, npm_config_nodedir: '/usr' });
    expect(out(r)).toMatch('building from source (a source build was asked for)');
    expect(r.status).not.toBe(0);
  }

  // 6. the loader: a build/Release copy that does not load falls through to the prebuild; with both broken the
  // error names both paths
  fs.rmSync(path.join(installed, 'build'), { recursive: true, force: true });
  fs.mkdirSync(path.join(installed, 'build', 'Release'), { recursive: true });
  fs.writeFileSync(path.join(installed, 'build', 'Release', 'tensorfield.node'), 'not an ELF file');
  const load = "try { console.log(require('tensorfield').ones([2]).sum().item()) } catch (e) { console.log(e.code, e.message) }";
  expect(sh(process.execPath, ['-e', load], app).stdout.trim()).toBe('2');
  fs.writeFileSync(path.join(installed, 'prebuilds', TAG, 'tensorfield.node'), 'not an ELF file either');
  expect(sh(process.execPath, ['-e', load], app).stdout).toMatch(new RegExp(`^TF_NATIVE_LOAD .*build/Release/tensorfield\\.node: .*prebuilds/${TAG}/tensorfield\\.node: `));
}, 180_000);
