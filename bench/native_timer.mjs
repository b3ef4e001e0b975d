// Wall time per native entry point, for the profiles in bench/ (op_profile.mjs, eval_profile.mjs): every function
// of the addon's exports is wrapped before the library loads (require's cache hands the library the same
// object). Times are inclusive wall ms summed over calls, counted while `timer.on` is true.
import { createRequire } from 'module';
import path from 'path';
import { fileURLToPath } from 'url';

export function timeNativeCalls() {
  const require = createRequire(import.meta.url);
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const addon = require(path.join(root, 'build', 'Release', 'tensorfield.node'));
  const timer = { on: false, acc: new Map() };
  for (const [k, f] of Object.entries(addon)) {
    if (typeof f !== 'function' || /^[A-Z]/.test(k)) continue;
    addon[k] = function (...a) {
      if (!timer.on) return f.apply(this, a);
      const s = performance.now();
      try { return f.apply(this, a); } finally {
        const e = timer.acc.get(k) ?? { ms: 0, n: 0 }; e.ms += performance.now() - s; e.n++; timer.acc.set(k, e);
      }
    };
  }
  return timer;
}
