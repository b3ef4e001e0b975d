import { registerMethod } from '../../registry';
import { edmMethod } from './method';

export { edmMethod, EDMNet } from './method';
registerMethod(edmMethod);
import './onnx';
