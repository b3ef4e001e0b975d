// Wrapping a network's forward for a while (mixed precision, activation buckets, level probes): an own property
// shadows the class method, and the returned function puts back exactly what was there before.
import { Tensor, TensorfieldError } from '../tensor';
import { noGrad } from '../autograd';
import { Module } from '../nn/module';

export type Forward = (...a: Tensor[]) => Tensor;

/** net.forward(...a) becomes f(orig, a) until the returned restore() runs. */
export function wrapForward(net: Module, f: (orig: Forward, a: Tensor[]) => Tensor): () => void {
  const target = net as unknown as { forward: Forward };
  const had = Object.prototype.hasOwnProperty.call(target, 'forward');
  const own = target.forward;
  const orig = own.bind(net);
  target.forward = (...a: Tensor[]) => f(orig, a);
  return () => { if (had) target.forward = own; else delete (target as Partial<typeof target>).forward; };
}

/** The noise levels of a network call: its second argument, per item (forward(x, level, ...)). */
export function levelsOf(args: Tensor[], what: string): ArrayLike<number> {
  if (args.length < 2 || args[1].numel() === 0)
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: the network call has no noise-level argument (expected forward(x, level, ...))`);
  return noGrad(() => args[1].reshape(-1).dataSync() as ArrayLike<number>);
}
