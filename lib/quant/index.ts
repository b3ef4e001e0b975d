// Int8 quantization: ops and packed weights, calibration observers, int8 layers, QAT wrappers, model conversion.
export * from './ops';
export * from './observers';
export * from './layers';
export * from './qat';
export * from './convert';
export * from './checkpoint';
export * from './mixed';
export * from './distill';
export * from './compare';
export * from './buckets';
