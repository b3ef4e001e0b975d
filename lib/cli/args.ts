// Command-line flags: --name value, --name=value, --flag (true), --no-flag (false); an optional JSON config
// (--config file) supplies the same keys, flags override it. Every command declares its flags, so a typo is an
// error that lists the valid ones instead of being silently ignored.
import * as fs from 'fs';
import { TensorfieldError } from '../tensor';
import { parseDecimal } from '../registry';

export type FlagType = 'number' | 'string' | 'boolean';
export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: number | string | boolean;
  choices?: readonly string[];
}
export type FlagValues = Record<string, number | string | boolean>;

export function usageError(msg: string): TensorfieldError {
  return new TensorfieldError('TF_INVALID_ARGUMENT', msg);
}

/** A flag that must be a positive integer (TF_INVALID_ARGUMENT naming it otherwise). */
export function positiveInt(name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw usageError(`--${name} must be a positive integer, got ${String(v)}`);
  return v as number;
}

/** --high-steps: float32 noise levels at each end of a mixed-precision sampler, a non-negative integer. */
export function highSteps(v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 0) throw usageError(`--high-steps must be a non-negative integer, got ${String(v)}`);
  return v as number;
}

function coerce(name: string, spec: FlagSpec, raw: unknown): number | string | boolean {
  if (spec.type === 'number') {
    // decimal text (a flag) or a JSON number (a config); Number() would read '0x10' as 16 and [1] as 1
    const v = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseDecimal(raw) : NaN;
    if (!Number.isFinite(v)) throw usageError(`--${name} needs a number in decimal notation, got ${typeof raw === 'string' ? `'${raw}'` : JSON.stringify(raw)}`);
    return v;
  }
  if (spec.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw usageError(`--${name} is true or false, got '${String(raw)}'`);
  }
  if (typeof raw !== 'string' || raw === '') throw usageError(`--${name} needs a text value, got ${typeof raw === 'string' ? "''" : JSON.stringify(raw)}`);
  if (spec.choices && !spec.choices.includes(raw)) throw usageError(`--${name} must be one of ${spec.choices.join(', ')}, got '${raw}'`);
  return raw;
}

/**
 * Parses argv against the command's flags. Unknown flags go to `extra` when `allowExtra` (method options are
 * checked by the method), else they are an error.
 */
export function parseFlags(argv: string[], specs: Record<string, FlagSpec>, allowExtra = false): { flags: FlagValues; extra: Record<string, unknown>; given: Set<string> } {
  const given: Record<string, unknown> = {};
  // flags give text (or true/false); a config's "options" keep their JSON values, for the method to type-check
  const extra: Record<string, unknown> = {};
  const valid = () => Object.keys(specs).map((k) => `--${k}`).join(', ');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--') || a === '--') throw usageError(`unexpected argument '${a}' (flags look like --name value; valid: ${valid()})`);
    let name = a.slice(2), value: string | boolean | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    let negated = false;
    if (!(name in specs) && name.startsWith('no-') && specs[name.slice(3)]?.type === 'boolean') { name = name.slice(3); negated = true; }
    const spec = specs[name];
    if (value === undefined) {
      if (negated) value = false;
      else if (spec?.type === 'boolean' && (i + 1 >= argv.length || argv[i + 1].startsWith('--'))) value = true;
      else if (!spec && (i + 1 >= argv.length || argv[i + 1].startsWith('--'))) value = true;
      else if (i + 1 < argv.length) value = argv[++i];
      else throw usageError(`--${name} needs a value`);
    }
    if (!spec) {
      if (!allowExtra) throw usageError(`unknown flag --${name} (valid: ${valid()})`);
      extra[name] = value;
      continue;
    }
    given[name] = value;
  }
  if (typeof given.config === 'string' && specs.config) {
    const file = given.config;
    let cfg: unknown;
    try {
      cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new TensorfieldError('TF_BAD_FILE', `config '${file}': ${(e as Error).message}`);
    }
    if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new TensorfieldError('TF_BAD_FILE', `config '${file}': expected a JSON object`);
    for (const [k, v] of Object.entries(cfg as Record<string, unknown>)) {
      if (k in given) continue;  // flags win
      if (k in specs) given[k] = v;
      else if (k === 'options' && allowExtra && v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [ok, ov] of Object.entries(v as Record<string, unknown>)) if (!(ok in extra)) extra[ok] = ov;
      } else {
        throw usageError(`config '${file}': unknown key '${k}' (valid: ${Object.keys(specs).join(', ')}${allowExtra ? ', options' : ''})`);
      }
    }
  }
  const flags: FlagValues = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (name in given) flags[name] = coerce(name, spec, given[name]);
    else if (spec.default !== undefined) flags[name] = spec.default;
  }
  return { flags, extra, given: new Set(Object.keys(given)) };
}

export function helpText(specs: Record<string, FlagSpec>): string {
  return Object.entries(specs).map(([k, s]) => {
    const d = s.default !== undefined ? ` (default ${String(s.default)})` : '';
    const c = s.choices ? ` [${s.choices.join('|')}]` : '';
    return `  --${k.padEnd(14)} ${s.help}${c}${d}`;
  }).join('\n');
}
