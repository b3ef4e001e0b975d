// A progress line for long work: step / total, bar, rate, ETA and whatever fields the caller reports (loss...).
// On a terminal it redraws one line at most 10 times a second; elsewhere (CI logs, pipes) it prints a line every
// `logEvery` seconds so a log shows progress without a million carriage returns.
export interface ProgressOptions {
  total: number;
  label?: string;
  /** Unit for the rate ("it", "img"...) and how many units one tick is. */
  unit?: string;
  unitsPerTick?: number;
  stream?: NodeJS.WriteStream;
  logEvery?: number;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mm = String(m).padStart(2, '0'), ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toPrecision(4);
}

export class ProgressBar {
  private readonly start = Date.now();
  private lastDraw = 0;
  private lastLog = 0;
  private done = 0;
  private fields: Record<string, number | string> = {};
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  constructor(private readonly o: ProgressOptions) {
    this.stream = o.stream ?? process.stderr;
    this.tty = !!this.stream.isTTY;
  }

  /** Advance to `done` ticks (absolute), with fields to show. */
  update(done: number, fields: Record<string, number | string> = {}): void {
    this.done = done;
    this.fields = { ...this.fields, ...fields };
    const now = Date.now();
    if (this.tty ? now - this.lastDraw >= 100 : now - this.lastLog >= 1000 * (this.o.logEvery ?? 10)) this.draw(now);
  }

  /** The final state, on its own line. */
  finish(fields: Record<string, number | string> = {}): void {
    this.fields = { ...this.fields, ...fields };
    this.draw(Date.now(), true);
  }

  line(): string {
    const elapsed = (Date.now() - this.start) / 1000;
    const { total } = this.o;
    const frac = total > 0 ? Math.min(1, this.done / total) : 0;
    const rate = elapsed > 0 ? (this.done * (this.o.unitsPerTick ?? 1)) / elapsed : 0;
    const eta = this.done > 0 ? (elapsed * (total - this.done)) / this.done : Infinity;
    const width = 24, filled = Math.round(frac * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const extra = Object.entries(this.fields).map(([k, v]) => `${k} ${typeof v === 'number' ? fmtNum(v) : v}`).join('  ');
    return `${this.o.label ? this.o.label + ' ' : ''}[${bar}] ${this.done}/${total}  ${fmtNum(rate)} ${this.o.unit ?? 'it'}/s  ` +
      `elapsed ${fmtTime(elapsed)}  eta ${fmtTime(eta)}${extra ? '  ' + extra : ''}`;
  }

  private draw(now: number, final = false): void {
    this.lastDraw = this.lastLog = now;
    if (this.tty) this.stream.write(`\r\x1b[2K${this.line()}${final ? '\n' : ''}`);
    else this.stream.write(`${this.line()}\n`);
  }
}
