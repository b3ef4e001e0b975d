// Command-line flags of the experiment scripts: `--name value` pairs over a table of defaults (the default's type
// decides: numbers must parse as finite numbers, anything else stays a string; --kebab-case is accepted for
// camelCase keys), and the positional arguments, of which there must be between min and max.
'use strict';

function parseFlags(argv, defaults, { usage, min = 1, max = 1 }) {
  const o = { ...defaults };
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const k = a.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(k in defaults)) throw new Error(`unknown flag ${a}; known: ${Object.keys(defaults).join(', ')}`);
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    o[k] = typeof defaults[k] === 'number' ? Number(v) : v;
    if (typeof defaults[k] === 'number' && !Number.isFinite(o[k])) throw new Error(`${a} needs a number, got ${v}`);
  }
  if (positional.length < min || positional.length > max) throw new Error(`usage: ${usage}`);
  return { positional, o };
}

module.exports = { parseFlags };
