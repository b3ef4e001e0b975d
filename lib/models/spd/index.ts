// Stochastic process diffusion (Biloš et al., ICML 2023): noise processes over irregular time stamps, the discrete
// (DSPD) and continuous (CSPD) diffusions with that noise, the Gaussian oracle denoiser. See README.md.
export * from './noise';
export * from './schedule';
export * from './dspd';
export * from './cspd';
export * from './oracle';
export * from './np-data';
export * from './np-model';
export * from './np-train';
export * from './np-eval';
export * from './forecast-data';
export * from './forecast-model';
export * from './forecast-eval';
export * from './impute-data';
export * from './impute-baselines';
export * from './impute-model';
export * from './impute-eval';
export { spdMethod } from './method';
export { spdForecastMethod, parseYears } from './forecast-method';
export { spdImputeMethod, parseYearRange } from './impute-method';
import { registerMethod } from '../../registry';
import { spdMethod } from './method';
import { spdForecastMethod } from './forecast-method';
import { spdImputeMethod } from './impute-method';
registerMethod(spdMethod);
registerMethod(spdForecastMethod);
registerMethod(spdImputeMethod);
