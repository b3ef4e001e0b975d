// The C API (include/tensorfield.h, native/capi): the shared library is built with CMake and installed into a
// temporary prefix, then used the way an embedding tool would: the header compiled as strict C99 and C++17, the
// library found through pkg-config and CMake's find_package, only tf_* symbols exported, every error path of
// test/native/capi_check.c under AddressSanitizer with leak checks, the same values as the Node API bit for bit,
// and the examples (C training + sampling, C++ wrappers) built and run.
// Needs cmake, cc, c++ and pkg-config (CI installs them); TF_SKIP_CAPI=1 skips the suite where they are absent.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';

const root = path.resolve(__dirname, '..');
const skip = process.env.TF_SKIP_CAPI === '1';
const d = skip ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'tf-capi-'));
const build = path.join(d, 'build'), prefix = path.join(d, 'prefix');
const lib = path.join(prefix, 'lib');
const env = { ...process.env, PKG_CONFIG_PATH: path.join(lib, 'pkgconfig'), LD_LIBRARY_PATH: lib };
const run = (cmd: string, args: string[], extra: Record<string, string> = {}) =>
  execFileSync(cmd, args, { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const pkg = (...what: string[]) => run('pkg-config', [...what, 'tensorfield']).trim().split(/\s+/).filter(Boolean);

(skip ? describe.skip : describe)('C API', () => {
  beforeAll(() => {
    run('cmake', ['-S', path.join(root, 'native'), '-B', build, '-DCMAKE_BUILD_TYPE=Release', `-DCMAKE_INSTALL_PREFIX=${prefix}`,
      '-DCMAKE_INSTALL_LIBDIR=lib']);
    run('cmake', ['--build', build, '-j', String(Math.max(1, os.cpus().length))]);
    run('cmake', ['--install', build]);
  }, 900_000);
  afterAll(() => fs.rmSync(d, { recursive: true, force: true }));

  test('the header compiles as strict C99 and as C++17', () => {
    const src = path.join(d, 'h.c');
    fs.writeFileSync(src, '#include <tensorfield.h>\nint main(void) { return tf_api_version() == TF_API_VERSION ? 0 : 1; }\n');
    const inc = pkg('--cflags');
    run('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', ...inc, '-c', src, '-o', path.join(d, 'h.o')]);
    run('c++', ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pedantic', '-x', 'c++', ...inc, '-c', src, '-o', path.join(d, 'hpp.o')]);
    const hpp = path.join(d, 'w.cpp');
    fs.writeFileSync(hpp, '#include <tensorfield.hpp>\nint main() { return 0; }\n');
    run('c++', ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pedantic', ...inc, '-c', hpp, '-o', path.join(d, 'w.o')]);
  });

  test('the shared library exports only tf_* functions and holds no N-API or V8 symbol', () => {
    const so = path.join(lib, 'libtensorfield.so');
    const defined = run('nm', ['-D', '--defined-only', so]).trim().split('\n').map((l) => l.split(/\s+/).pop()!);
    expect(defined.length).toBeGreaterThan(40);
    expect(defined.filter((s) => !s.startsWith('tf_'))).toEqual([]);
    const all = run('nm', ['-D', so]);
    expect(all).not.toMatch(/napi_|_ZN2v8|node::/);
    expect(fs.existsSync(path.join(lib, 'libtensorfield.a'))).toBe(true);
    expect(fs.existsSync(path.join(lib, 'cmake/tensorfield/tensorfieldConfig.cmake'))).toBe(true);
  });

  test('every error path returns a status and a message, under AddressSanitizer with no leak', () => {
    const exe = path.join(d, 'capi_check');
    run('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-D_POSIX_C_SOURCE=200809L', '-g',
      '-fsanitize=address,undefined', '-fno-sanitize-recover=all', ...pkg('--cflags'),
      path.join(root, 'test/native/capi_check.c'), ...pkg('--libs'), '-lm', '-lpthread', '-o', exe]);
    const out = run(exe, [], { ASAN_OPTIONS: 'detect_leaks=1:exitcode=86' });
    expect(out).toMatch(/^ok \d+ checks/);
    expect(Number(/ok (\d+)/.exec(out)![1])).toBeGreaterThan(100);
  });

  test('the static archive links too (with the C++ runtime), found through find_package', () => {
    const proj = path.join(d, 'consumer');
    fs.mkdirSync(proj, { recursive: true });
    fs.copyFileSync(path.join(root, 'test/native/capi_check.c'), path.join(proj, 'capi_check.c'));
    fs.writeFileSync(path.join(proj, 'CMakeLists.txt'), [
      'cmake_minimum_required(VERSION 3.16)', 'project(consumer C CXX)', 'find_package(tensorfield REQUIRED)',
      'add_executable(check_static capi_check.c)', 'target_compile_definitions(check_static PRIVATE _POSIX_C_SOURCE=200809L)',
      'target_link_libraries(check_static tensorfield::tensorfield_static m)',
      'set_target_properties(check_static PROPERTIES LINKER_LANGUAGE CXX)', ''].join('\n'));
    run('cmake', ['-S', proj, '-B', path.join(proj, 'b'), `-DCMAKE_PREFIX_PATH=${prefix}`]);
    run('cmake', ['--build', path.join(proj, 'b')]);
    const exe = path.join(proj, 'b', 'check_static');
    expect(run('ldd', [exe])).not.toMatch(/libtensorfield/);
    expect(run(exe, [])).toMatch(/^ok \d+ checks/);
  });

  test('the same seed and ops give the same values through the C API and the Node API, bit for bit', () => {
    const exe = path.join(d, 'capi_values');
    run('cc', ['-std=c99', '-D_POSIX_C_SOURCE=200809L', ...pkg('--cflags'), path.join(root, 'test/native/capi_check.c'),
      ...pkg('--libs'), '-lm', '-lpthread', '-o', exe]);
    const f = path.join(d, 'values.f32');
    run(exe, ['values', f]);
    const buf = fs.readFileSync(f);
    const fromC = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    tf.manualSeed(42);
    const a = tf.randn([4, 3]), b = tf.randn([3, 5]);
    const fromNode = a.matmul(b).silu().toArray() as number[][];
    expect(Array.from(fromC)).toEqual(fromNode.flat().map((v) => Math.fround(v)));
    expect(new Set(Array.from(fromC)).size).toBe(20);
  });

  const checkExe = () => {
    const exe = path.join(d, 'capi_plain');
    if (!fs.existsSync(exe))
      run('cc', ['-std=c99', '-D_POSIX_C_SOURCE=200809L', ...pkg('--cflags'), path.join(root, 'test/native/capi_check.c'),
        ...pkg('--libs'), '-lm', '-lpthread', '-o', exe]);
    return exe;
  };

  test('safetensors in C: a round trip, and every bad file refused with TF_BAD_FILE or TF_IO (under ASan)', () => {
    const exe = path.join(d, 'capi_check');  // built by the error-path test above
    const dir = fs.mkdtempSync(path.join(d, 'files-'));
    expect(run(exe, ['files', dir], { ASAN_OPTIONS: 'detect_leaks=1:exitcode=86' })).toMatch(/^ok \d+ checks/);
  });

  test('a file the C API writes, the Node API reads with identical values, and the reverse', () => {
    const fromC = path.join(d, 'from-c.safetensors');
    run(checkExe(), ['st-write', fromC]);
    const got = tf.io.loadSafetensors(fromC);
    tf.manualSeed(7);
    const w = tf.randn([3, 4]);
    expect(got.tensors.get('w')!.toArray()).toEqual(w.toArray());
    expect(got.tensors.get('i')!.dtype).toBe('int32');
    expect(got.tensors.get('i')!.toArray()).toEqual([1, -2, 3]);
    expect(got.tensors.get('u')!.toArray()).toEqual([[0, 255]]);
    expect(got.tensors.get('d')!.toArray()).toEqual([0.1]);
    expect(got.metadata.format).toBe('tensorfield-c');

    const fromNode = path.join(d, 'from-node.safetensors');
    const x = tf.randn([2, 3]), y = tf.tensor([1e-300, -2.5], { dtype: 'float64' }), z = tf.tensor([-128, 127], { dtype: 'int8' });
    tf.io.saveSafetensors(fromNode, { 'x.weight': x.transpose(0, 1), 'é': y, z }, { format: 'node' });
    const lines = run(checkExe(), ['st-read', fromNode]).trim().split('\n').map((l) => JSON.parse(l));
    const byName = new Map(lines.filter((l) => l.name).map((l) => [l.name, l]));
    expect(byName.get('x.weight')).toEqual({ name: 'x.weight', dtype: 'float32', shape: [3, 2],
      values: (x.transpose(0, 1).toArray() as number[][]).flat() });
    expect(byName.get('é')).toEqual({ name: 'é', dtype: 'float64', shape: [2], values: [1e-300, -2.5] });
    expect(byName.get('z')!.values).toEqual([-128, 127]);
    expect(lines[lines.length - 1]).toEqual({ 'metadata format': 'node' });
  });

  test('the C example trains the 8-Gaussian denoiser and its fused-Heun samples land on the modes', () => {
    const exe = path.join(d, 'train_mlp');
    run('cc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', ...pkg('--cflags'),
      path.join(root, 'examples/c/train_mlp.c'), ...pkg('--libs'), '-lm', '-o', exe]);
    const ckpt = path.join(d, 'mlp.safetensors');
    const out = run(exe, ['4000', ckpt]);
    expect(out).toMatch(/8 of 8 modes/);
    expect(out.trim().split('\n').pop()).toBe('ok');
    // its checkpoint, read by the Node API
    const { tensors, metadata } = tf.io.loadSafetensors(ckpt);
    expect([...tensors.keys()].sort()).toEqual(['b1', 'b2', 'b3', 'w1', 'w2', 'w3']);
    expect(tensors.get('w1')!.shape).toEqual([3, 64]);
    expect(tensors.get('w3')!.shape).toEqual([64, 2]);
    expect(tensors.get('w2')!.isfinite().amin().item()).toBe(1);
    expect(metadata).toEqual({ format: 'tensorfield-c-example', steps: '4000' });
    const w1Sum = Number(/sum of w1: (\S+)\)/.exec(out)![1]);
    expect(Math.fround(tensors.get('w1')!.sum().item())).toBe(Math.fround(w1Sum));  // the same values, to the bit
    // and a short run under AddressSanitizer: no leak or memory error (the sample check is not the point here)
    const asan = path.join(d, 'train_mlp_asan');
    run('cc', ['-std=c99', '-g', '-fsanitize=address', ...pkg('--cflags'), path.join(root, 'examples/c/train_mlp.c'),
      ...pkg('--libs'), '-lm', '-o', asan]);
    const r = spawnSync(asan, ['200'], { env: { ...env, ASAN_OPTIONS: 'detect_leaks=1:exitcode=86' } });
    expect(r.stderr.toString()).not.toMatch(/Sanitizer/);
    expect([0, 1]).toContain(r.status);
  });

  test('the C++ example fits its linear map through the RAII wrappers and catches an error as an exception', () => {
    const exe = path.join(d, 'fit_linear');
    run('c++', ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', ...pkg('--cflags'),
      path.join(root, 'examples/cpp/fit_linear.cpp'), ...pkg('--libs'), '-o', exe]);
    const out = run(exe, []);
    expect(out).toMatch(/caught TF_SHAPE_MISMATCH/);
    expect(out.trim().split('\n').pop()).toBe('ok');
    const asan = path.join(d, 'fit_linear_asan');
    run('c++', ['-std=c++17', '-g', '-fsanitize=address', ...pkg('--cflags'), path.join(root, 'examples/cpp/fit_linear.cpp'),
      ...pkg('--libs'), '-o', asan]);
    const r = spawnSync(asan, [], { env: { ...env, ASAN_OPTIONS: 'detect_leaks=1:exitcode=86' } });
    expect(r.stderr.toString()).not.toMatch(/Sanitizer/);
    expect(r.status).toBe(0);
  });
});

describe('one engine, two front doors', () => {
  test("binding.gyp's tf_core (the addon's engine) holds exactly the files CMake builds into libtensorfield", () => {
    const gyp = JSON.parse(fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, ''));
    const target = (n: string) => gyp.targets.find((t: { target_name: string }) => t.target_name === n);
    const core = new Set<string>(target('tf_core').sources);
    // native/CMakeLists.txt's glob: every .cpp of these folders (cpu: its top level; the ISA folders are their own)
    const dirs = ['core', 'backend', 'cpu', 'cpu/ref', 'autograd', 'ops', 'fused', 'io'];
    const cmake = new Set(dirs.flatMap((dir) => fs.readdirSync(path.join(root, 'native', dir))
      .filter((f) => f.endsWith('.cpp')).map((f) => `native/${dir}/${f}`)));
    expect([...core].sort()).toEqual([...cmake].sort());
    expect(fs.readFileSync(path.join(root, 'native/CMakeLists.txt'), 'utf8'))
      .toContain(dirs.map((dir) => `\${TF_ROOT}/${dir}/*.cpp`).slice(0, 4).join(' '));
    // the addon adds only its own N-API files to the engine it links
    expect(target('tensorfield').sources.every((f: string) => f.startsWith('native/napi/'))).toBe(true);
    expect(target('tensorfield').dependencies).toContain('tf_core');
  });
});
