// The bench commands' timer: the median of a call's wall time, after one warm-up call, over at least five calls
// and at least minMs of calls (a median, since the machines these run on are shared and their speed moves).
export function timeIt(fn: () => void, minMs = 300): number {
  fn();
  const times: number[] = [];
  const end = Date.now() + minMs;
  while (Date.now() < end || times.length < 5) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}
