import { registerMethod } from '../../registry';
import { dblocksMethod } from './method';

registerMethod(dblocksMethod);
