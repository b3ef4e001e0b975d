// The main job (the README's first command) runs and its loss falls.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');
const built = fs.existsSync(path.join(root, 'dist', 'demo', 'mlp.js'));

// CI builds dist (npm ci runs `prepare`); elsewhere an unbuilt tree skips this one test.
if (!built && process.env.CI) throw new Error('dist/ is missing: run `npm run build:ts` (npm ci does it)');
(built ? test : test.skip)('npm run demo trains the tiny MLP and the loss falls 10x', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'dist', 'demo', 'mlp.js')], {
    env: { ...process.env }, encoding: 'utf8', timeout: 60000,
  });
  expect(r.status).toBe(0);
  const m = /loss ([\d.]+) -> ([\d.]+)/.exec(r.stdout);
  expect(m).not.toBeNull();
  expect(Number(m![2])).toBeLessThan(Number(m![1]) / 10);
});
