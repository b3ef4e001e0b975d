// Stochastic interpolants (Albergo, Boffi & Vanden-Eijnden): schedules, exact Gaussian-mixture fields,
// quadratic objectives, field conversions, ODE/SDE dynamics and likelihoods.
export * from './schedules';
export * from './coeffs';
export * from './exact';
export * from './objectives';
export * from './conversions';
export * from './dynamics';
export * from './likelihood';
export * from './control';
export { interpolantMethod, InterpolantNets, samplingFields, sdeEps, type FieldPair } from './method';
export * from './gaussian-ot';
export * from './learned';
export * from './design';
