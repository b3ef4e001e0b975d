// Quantization-aware training: Linear / Conv2d wrappers that compute with fake-quantized weights (int8,
// symmetric, per output channel) and inputs (uint8, per tensor), so a float model learns to be robust to int8,
// then converts exactly (convert.ts): the int8 layer uses the same codes and scales as the simulation.
//
// Life cycle of a wrapper: `calibrating` (observers watch the inputs; inputs pass through unquantized) ->
// freeze() (activation scales from the observers) -> training with fake quantization (scales fixed, or learned
// with LSQ when learnScales is on) -> toInt8().
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { keep } from '../scope';
import { noGrad } from '../autograd';
import { Module } from '../nn/module';
import { Linear, Conv2d } from '../nn/layers';
import { conv2d } from '../conv';
import * as F from '../nn/functional';
import { ActQParams, CODE_RANGE, dynamicQParams, fakeQuantize, quantize } from './ops';
import { Observer, ObserverOptions, weightScales } from './observers';
import { Int8LayerSpec, QuantizedConv2d, QuantizedLinear } from './layers';

export interface QatOptions {
  /** activation observer (default minmax) */
  observer?: ObserverOptions;
  /** initial weight scales: max |w| per channel, or the MSE-optimal clip (default minmax) */
  weights?: 'minmax' | 'mse';
  /** LSQ: weight and activation scales become parameters trained with the model */
  learnScales?: boolean;
  /** quantize each layer's output too (the paper's scheme: two roundings per layer) */
  quantizeOutputs?: boolean;
  /** code inputs per call from their own range instead of calibrated parameters */
  dynamic?: boolean;
  /**
   * After calibration, observers keep watching during training (model.train()) and the activation scales follow
   * them, as PyTorch's FakeQuantize does with its observer enabled; disableObservers() ends it. Not with learnScales.
   */
  observeInTraining?: boolean;
}

const [WQMIN, WQMAX] = CODE_RANGE.int8;
const [AQMIN, AQMAX] = CODE_RANGE.uint8;

/** Value s, gradient k * (upstream): LSQ's gradient scale for step sizes. */
export function gradScale(s: Tensor, k: number): Tensor {
  const sk = s.mul(k);
  return sk.add(s.sub(sk).detach());
}
/** A learned step size as used: |s| (an optimizer step may cross zero), kept off zero. */
export function learnedStep(s: Tensor, k: number): Tensor { return gradScale(s, k).abs().clamp(1e-12, null); }

/** An activation quantizer: observer while calibrating, then a fixed or learned (scale, zero point). */
export class ActQuantizer extends Module {
  readonly observer: Observer;
  scale: Tensor | null = null;
  zeroPoint = 0;
  /** observers active after freeze() in training mode (QatOptions.observeInTraining; off after disableObservers) */
  observing: boolean;
  constructor(private opts: QatOptions) {
    super();
    this.observer = new Observer(opts.observer);
    if (opts.observeInTraining && opts.learnScales) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'QAT: observeInTraining and learnScales exclude each other (scales come from the observer or from training)');
    this.observing = !!opts.observeInTraining;
  }
  get frozen(): boolean { return this.scale !== null; }
  freeze(): void {
    if (this.opts.dynamic) return;
    const q = this.observer.qparams();
    const s = tensor([q.scale]);
    this.scale = this.opts.learnScales ? this.param('scale', s) : this.buffer('scale', s);
    this.zeroPoint = q.zeroPoint;
  }
  qparams(): ActQParams | 'dynamic' {
    if (this.opts.dynamic) return 'dynamic';
    if (!this.scale) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'QAT: activation scales are not set (calibrate first)');
    return { scale: Math.fround(Math.max(Math.abs(this.scale.item()), 1e-12)), zeroPoint: this.zeroPoint };
  }
  forward(x: Tensor): Tensor {
    if (this.opts.dynamic) {
      const q = dynamicQParams(x);
      return fakeQuantize(x, q.scale, q.zeroPoint, { qmin: AQMIN, qmax: AQMAX });
    }
    if (!this.scale) { this.observer.observe(x); return x; }
    if (this.observing && this.training) {
      this.observer.observe(x);
      const q = this.observer.qparams();
      noGrad(() => this.scale!.fill_(q.scale));
      this.zeroPoint = q.zeroPoint;
    }
    const s = this.opts.learnScales ? learnedStep(this.scale, 1 / Math.sqrt(x.numel() * AQMAX)) : this.scale;
    return fakeQuantize(x, s, this.zeroPoint, { qmin: AQMIN, qmax: AQMAX });
  }
}

let callCounter = 0;

abstract class QatLayer extends Module {
  weight: Tensor;
  bias: Tensor | null;
  wScale: Tensor;
  readonly inQ: ActQuantizer;
  readonly outQ: ActQuantizer | null;
  /** the first calibration input, kept for the conversion report */
  sample: Tensor | null = null;
  /** order of first use during calibration (keepFirst / keepLast) */
  firstCall = Infinity;
  constructor(readonly float: Linear | Conv2d, readonly opts: QatOptions) {
    super();
    this.weight = this.param('weight', float.weight);
    this.bias = float.bias ? this.param('bias', float.bias) : null;
    const ws = tensor(weightScales(float.weight, opts.weights ?? 'minmax'));
    this.wScale = opts.learnScales ? this.param('wScale', ws) : this.buffer('wScale', ws);
    this.inQ = this.module('inQ', new ActQuantizer(opts));
    this.outQ = opts.quantizeOutputs ? this.module('outQ', new ActQuantizer(opts)) : null;
  }
  get calibrating(): boolean { return !this.opts.dynamic && !this.inQ.frozen; }
  /** Ends calibration: activation scales from the observers. */
  freeze(): void { this.inQ.freeze(); this.outQ?.freeze(); }

  /** Weight scales from the current weights (max |w| / 127 per output channel): the end of training's sync. */
  syncWeightScale(): void {
    if (this.opts.learnScales) return;
    noGrad(() => this.wScale.copy_(this.weight.detach().abs().reshape(this.weight.shape[0], -1).amax(1).div(127).clamp(1e-12, Infinity)));
  }
  /** The weight as the int8 layer will see it (fake-quantized per output channel). */
  fakeWeight(): Tensor {
    let s = this.wScale;
    if (!this.opts.learnScales) {
      // in training, scales follow the weights (max |w| per channel): fixed scales would clip growing weights;
      // in eval they stay as set (at construction: minmax or mse)
      if (this.training) this.syncWeightScale();
    } else {
      const perChannel = this.weight.numel() / this.weight.shape[0];
      s = learnedStep(this.wScale, 1 / Math.sqrt(perChannel * 127));
    }
    return fakeQuantize(this.weight, s, 0, { qmin: WQMIN, qmax: WQMAX, axis: 0 });
  }
  protected abstract compute(x: Tensor, w: Tensor): Tensor;
  forward(x: Tensor): Tensor {
    if (this.calibrating) {
      if (this.firstCall === Infinity) this.firstCall = callCounter++;
      if (!this.sample) this.sample = keep(noGrad(() => x.detach().clone()));
    }
    const y = this.compute(this.inQ.forward(x), this.fakeWeight());
    return this.outQ ? this.outQ.forward(y) : y;
  }
  /** The int8 layer with exactly this wrapper's codes and scales. */
  spec(): Int8LayerSpec {
    return noGrad(() => {
      const s = this.wScale.detach().abs().clamp(1e-12, null);
      return {
        weight: quantize(this.weight.detach(), s, 0, { axis: 0, dtype: 'int8' }),
        wScale: s.clone(),
        bias: this.bias ? this.bias.detach().clone() : null,
        input: this.inQ.qparams(),
        output: this.outQ ? (this.outQ.qparams() as ActQParams) : null,
      };
    });
  }
  abstract toInt8(): QuantizedLinear | QuantizedConv2d;
  dispose(): void { this.sample?.dispose(); super.dispose(); }
}

export class QatLinear extends QatLayer {
  constructor(float: Linear, opts: QatOptions = {}) { super(float, opts); }
  protected compute(x: Tensor, w: Tensor): Tensor { return F.linear(x, w, this.bias); }
  toInt8(): QuantizedLinear { return new QuantizedLinear(this.spec()); }
}

export class QatConv2d extends QatLayer {
  constructor(readonly conv: Conv2d, opts: QatOptions = {}) {
    super(conv, opts);
    if ((conv.opts.groups ?? 1) !== 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'QAT/int8: grouped convolutions are not supported');
  }
  protected compute(x: Tensor, w: Tensor): Tensor {
    const { stride, padding, dilation } = this.conv.opts;
    return conv2d(x, w, { bias: this.bias, stride, padding, dilation });
  }
  toInt8(): QuantizedConv2d {
    const { stride, padding, dilation } = this.conv.opts;
    return new QuantizedConv2d(this.spec(), { stride, padding, dilation });
  }
}

export { QatLayer };
/** Restarts the first-use order used by keepFirst / keepLast (per calibration run). */
export function resetCallOrder(): void { callCounter = 0; }
