// Intel's int8 diffusion recipe (Chang et al. 2023, arXiv 2311.16133) over lib/quant: the scheme, PTQ and QAT+KD.
export * from './scheme';
export { ptqRecipe, qatKdRecipe } from './recipes';
import { registerQuantRecipe } from '../../registry';
import { ptqRecipe, qatKdRecipe } from './recipes';
registerQuantRecipe(ptqRecipe);
registerQuantRecipe(qatKdRecipe);
