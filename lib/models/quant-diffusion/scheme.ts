// The quantization scheme of Intel's "Effective Quantization for Diffusion Models on CPUs" (arXiv 2311.16133;
// ITREX quantization_modules.py), as lib/quant options:
//  - int8: every Linear and groups-1 Conv2d of the network, first and last included (conv in/out, the time
//    embedding's linears, attention q/k/v/out projections);
//  - float32: everything else (GroupNorm, SiLU, softmax, the attention score and value products, which multiply
//    two activations, resampling, residual adds);
//  - weights: int8 symmetric per output channel from max |w|; activations: uint8 asymmetric per tensor, coded at
//    each int8 layer's input and output (two roundings per layer), moving-average min/max observers with
//    averaging constant 0.01; one scale per tensor for all noise levels (calibration mixes them).
// Two deviations, both in lib/quant's int8 kernels: weight codes use [-127, 127] with scale max|w|/127 (PyTorch's
// per_channel_symmetric uses max|w|/127.5 and [-128, 127]; the AVX2 kernel needs no -128 for its saturating
// u8 x s8 pairs), and during calibration the observed inputs pass through unquantized (PyTorch fake-quantizes with
// the running range while it observes; the first batch's range is then already in place).
import type { QuantizeOptions } from '../../quant/convert';

/** Averaging constant of the activation observers (PyTorch's MovingAverageMinMaxObserver default, used by ITREX). */
export const OBSERVER_AVERAGING = 0.01;

export const PAPER_SCHEME: QuantizeOptions = {
  observer: { kind: 'moving', momentum: OBSERVER_AVERAGING },
  weights: 'minmax',
  quantizeOutputs: true,
  keepFirst: false,
  keepLast: false,
  int8Attention: false,
};

/** High-precision steps at each end of the sampling run (ITREX HIGH_PRECISION_STEPS). */
export const HIGH_PRECISION_STEPS = 5;
