// Joining blocks trained apart: block b's parameters (its stem, head and layers; 'own' mode) are copied from the
// run that trained block b into one model, which then samples with every block trained. The sources must share the
// target's configuration; every block must come from exactly one source. With a weight average (targetEma), block b's
// averaged weights come from the same run's average.
import { TensorfieldError } from '../../tensor';
import { noGrad } from '../../autograd';
import type { EMA } from '../../optim/ema';
import type { BlockwiseDenoiser } from './model';

export function assembleBlocks(target: BlockwiseDenoiser, sources: { block: number; net: BlockwiseDenoiser; ema?: EMA }[],
  targetEma?: EMA): void {
  const fn = 'assembleBlocks', B = target.blocks;
  if (target.cfg.stem !== 'own')
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: blocks with a shared stem and head cannot be trained apart or assembled (use --stem own)`);
  const seen = new Array<boolean>(B).fill(false);
  for (const { block, net } of sources) {
    if (!Number.isInteger(block) || block < 0 || block >= B) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: block ${block} is outside 0..${B - 1}`);
    if (seen[block]) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: block ${block} is given twice`);
    seen[block] = true;
    if (JSON.stringify(net.cfg) !== JSON.stringify(target.cfg))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the run for block ${block} has configuration ${JSON.stringify(net.cfg)}, the target ${JSON.stringify(target.cfg)}`);
    const from = new Map(net.blockNamedParameters(block));
    noGrad(() => { for (const [k, p] of target.blockNamedParameters(block)) p.copy_(from.get(k)!); });
    if (targetEma) {
      const ema = sources.find((s) => s.block === block)!.ema;
      if (!ema) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the run for block ${block} has no weight average, the target has one`);
      noGrad(() => { for (const [k] of target.blockNamedParameters(block)) targetEma.shadow.get(k)!.copy_(ema.shadow.get(k)!); });
    }
  }
  const missing = seen.flatMap((s, b) => (s ? [] : [b]));
  if (missing.length) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no run for block(s) ${missing.join(', ')}`);
}
