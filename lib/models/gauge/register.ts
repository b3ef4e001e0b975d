import { registerMethod } from '../../registry';
import { gaugeMethod } from './method';

registerMethod(gaugeMethod);
