// Registers the `interpolant` CLI method (imported by lib/models/index.ts).
import { registerMethod } from '../../registry';
import { interpolantMethod } from './method';

export { interpolantMethod, InterpolantNets } from './method';
registerMethod(interpolantMethod);
