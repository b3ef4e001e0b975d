// Int8 quantization: ops, packed weights, observers, quantized layers, model conversion and QAT.
export * from './ops';
