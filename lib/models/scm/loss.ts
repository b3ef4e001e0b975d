// The continuous-time consistency objective (sCM, Algorithm 1) with one native JVP per step.
import { Tensor, TensorfieldError } from '../../tensor';
import { randnLike, getRngState, setRngState, RngState } from '../../random';
import { noGrad } from '../../autograd';
import { jvp } from '../../func';
import { TrigFlowNet, checkSigmaD, interpolate, trigColumns } from './trigflow';

export interface ScmLossOptions {
  sigmaD: number;
  /** 'sct' (dx_t/dt = cos t·z - sin t·x0, from data alone) or 'scd' (dx_t/dt = sigmaD·teacher). */
  mode: 'sct' | 'scd';
  /** The TrigFlow teacher F_pre(xIn, t), required for 'scd'. Called without gradients. */
  teacher?: TrigFlowNet;
  /** Tangent warm-up factor r = min(1, step / H) in [0, 1]; see warmupFactor. Default 1. */
  warmup?: number;
  /** Tangent normalisation constant c in g / (RMS(g) + c); default 0.1. Pass 0 to turn it off. Unused with 'clip'. */
  tangentC?: number;
  /**
   * How the tangent is bounded: 'normalize' (default, g / (RMS(g) + c) per sample) or 'clip' (clip(g, -1, 1)
   * element-wise, the paper's alternative).
   */
  tangent?: 'normalize' | 'clip';
  /** Prior weight 1/sigma = 1/(sigmaD tan t) (default true); false falls back to 1. */
  priorWeight?: boolean;
  /** log-variance w(t) per sample [B] (the adaptive weighting head); omitted means w = 0. */
  logvar?: (t: Tensor) => Tensor;
}

export interface ScmLoss {
  /** The scalar to backpropagate: mean of weight·e^{-w}·||F - F⁻ - g||²/D + w. */
  loss: Tensor;
  /** The stop-gradient target F⁻ + g [B, ...] (no graph). */
  target: Tensor;
  /** Mean of ||g||²/D before the normalisation (a convergence diagnostic: 0 for an exact consistency model). */
  tangentMeanSq: number;
}

/** r = min(1, step / H); H = 0 disables the warm-up. */
export function warmupFactor(step: number, H: number): number {
  if (!(H > 0)) return 1;
  return Math.min(1, Math.max(0, step) / H);
}

/**
 * One sCD/sCT loss evaluation. x0 [B, ...] data, t [B] times, z noise with std sigmaD (drawn when omitted).
 * F is the trained network, called twice: once as F⁻ = sg(F) inside a single JVP, with the rearranged tangents
 * (cos t sin t·dx_t/dt, cos t sin t·sigmaD), whose output is sigmaD·cos t sin t·dF⁻/dt: scaling the tangents
 * before the JVP keeps every intermediate tangent at the size of that product, never forming dF/dt itself (the
 * paper's fix for fp16 overflow); and once with gradients. The JVP runs without a tape, so the target is detached.
 */
export function scmLoss(F: TrigFlowNet, x0: Tensor, t: Tensor, opts: ScmLossOptions, z?: Tensor): ScmLoss {
  const fn = 'scmLoss';
  const sd = opts.sigmaD;
  checkSigmaD(sd, fn);
  if (opts.mode !== 'sct' && opts.mode !== 'scd') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: mode must be 'sct' or 'scd', got ${String(opts.mode)}`);
  if (opts.mode === 'scd' && typeof opts.teacher !== 'function') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: mode 'scd' needs a teacher`);
  const r = opts.warmup ?? 1, c = opts.tangentC ?? 0.1;
  if (!(r >= 0 && r <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: warmup must be in [0, 1], got ${r}`);
  if (!(c >= 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: tangentC must be >= 0, got ${c}`);
  const bound = opts.tangent ?? 'normalize';
  if (bound !== 'normalize' && bound !== 'clip') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: tangent must be 'normalize' or 'clip', got ${String(bound)}`);
  if (t.ndim !== 1 || t.shape[0] !== x0.shape[0]) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: t must be [${x0.shape[0]}], got [${t.shape}]`);
  const tv = t.dataSync() as ArrayLike<number>;
  for (let i = 0; i < tv.length; i++) {
    // t = 0 has sin t = 0 (no signal and an infinite prior weight); t = pi/2 has cos t = 0 (no consistency signal).
    if (!(tv[i] > 0 && tv[i] < Math.PI / 2)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: t must lie in (0, pi/2), got ${tv[i]}`);
  }
  const B = x0.shape[0];
  const noise = z ?? randnLike(x0).mul(sd);
  const { cos, sin } = trigColumns(t, x0);
  const cs = cos.mul(sin);
  const { xt, vt } = interpolate(x0, noise, t);
  const xIn = xt.div(sd);

  // Dropout: F is called twice (the JVP for F⁻ and dF⁻/dt, then the pass with gradients). Replaying the generator
  // from the same state gives both the same masks, so F_θ - F⁻ is zero in value and the loss sees only g (as the
  // derivation assumes); inside the JVP, the mask is a constant factor of one op, so the tangent shares it.
  const { target, gMeanSq, rng } = noGrad(() => {
    const dxdt = opts.mode === 'sct' ? vt : opts.teacher!(xIn, t).mul(sd);
    const tt = t.to(x0.dtype);
    const state: RngState = getRngState();
    const [[Fm], [dF]] = jvp((a: Tensor, b: Tensor) => F(a, b), [xIn, tt], [cs.mul(dxdt), cs.reshape(-1).mul(sd)]);
    // g = cos t·df⁻/dt with the warm-up on the term that carries dF/dt (and x_t, which it partly cancels).
    const g = cos.square().mul(Fm.mul(sd).sub(dxdt)).neg().sub(cs.mul(xt).add(dF).mul(r));
    const ms = g.square().reshape(B, -1).mean(1);
    const gMean = ms.mean().item();
    const gn = bound === 'clip' ? g.clamp(-1, 1) : c > 0 ? g.div(ms.sqrt().add(c).reshape(cos.shape)) : g;
    return { target: Fm.add(gn), gMeanSq: gMean, rng: state };
  });

  setRngState(rng);
  const out = F(xIn, t.to(x0.dtype));
  const mse = out.sub(target).square().reshape(B, -1).mean(1);
  let weight: Tensor | number = 1;
  if (opts.priorWeight ?? true) weight = sin.div(cos).mul(sd).reciprocal().reshape(-1);
  let per = mse.mul(weight);
  if (opts.logvar) {
    const w = opts.logvar(t).reshape(-1);
    per = per.mul(w.neg().exp()).add(w);
  }
  return { loss: per.mean(), target, tangentMeanSq: gMeanSq };
}
