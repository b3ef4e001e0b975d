import { registerMethod } from '../../registry';
import { dblocksMethod } from './method';
import { dblocksLmMethod } from './lm-method';

registerMethod(dblocksMethod);
registerMethod(dblocksLmMethod);
