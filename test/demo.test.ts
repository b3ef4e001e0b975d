// The main job (the README's first command, `npm run demo` = `tensorfield demo`) runs end to end: both models
// train, sample and are evaluated, and the pictures and metrics land in the output folder. Step counts are cut
// so the test takes seconds; the full demo's figures are recorded in the README.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');
const built = fs.existsSync(cli);

// CI builds dist (npm ci runs `prepare`); elsewhere an unbuilt tree skips this one test.
if (!built && process.env.CI) throw new Error('dist/ is missing: run `npm run build:ts` (npm ci does it)');
(built ? test : test.skip)('tensorfield demo trains, samples, evaluates and writes pictures and metrics', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-demo-'));
  try {
    const r = spawnSync(process.execPath, [cli, 'demo', '--out', out, '--points-steps', '150', '--image-steps', '6'], {
      encoding: 'utf8', timeout: 240000,
    });
    expect([r.status, r.stderr.slice(-2000)]).toEqual([0, expect.anything()]);
    for (const run of ['eight-gaussians', 'fashion14']) {
      for (const f of ['samples.png', 'loss.svg', 'metrics.json', 'checkpoint.safetensors', 'config.json']) {
        expect(fs.existsSync(path.join(out, run, f))).toBe(true);
      }
    }
    const pts = JSON.parse(fs.readFileSync(path.join(out, 'eight-gaussians', 'metrics.json'), 'utf8'));
    // 150 steps already put most samples near the ring's modes (a model that learnt nothing hits ~0 of 8)
    expect(pts.modesHit).toBeGreaterThanOrEqual(6);
    const img = JSON.parse(fs.readFileSync(path.join(out, 'fashion14', 'metrics.json'), 'utf8'));
    expect(Number.isFinite(img.fdCls) && Number.isFinite(img.fdClsRealFloor)).toBe(true);
    // the floor: 3 disjoint samples of 256 real images outside the reference statistics, with its spread
    expect([img.fdClsRealFloorDraws, img.fdClsRealFloorN]).toEqual([3, 256]);
    expect(img.fdClsRealFloorMin).toBeLessThanOrEqual(img.fdClsRealFloorMax);
    // and what it was computed on, said at the start too
    expect(['full', 'subset']).toContain(img.record.dataset.kind);
    expect([img.record.data, img.record.n, img.record.seeds.train]).toEqual(['fashion14', 256, 0]);
    expect(r.stdout).toMatch(/^data: the (full Fashion-MNIST|3,000-image)/m);
    expect(r.stdout).toMatch(/demo done/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
