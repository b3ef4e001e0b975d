// sCM / TrigFlow (Lu & Song, "Simplifying, Stabilizing and Scaling Continuous-Time Consistency Models").
export * from './trigflow';
export * from './network';
export * from './loss';
export * from './exact';
export * from './sample';
export * from './train';
export { trigflowMethod, scdMethod, sctMethod, ScmRunModel, loadTeacher } from './method';
import { registerMethod } from '../../registry';
import { trigflowMethod, scdMethod, sctMethod } from './method';
registerMethod(trigflowMethod);
registerMethod(scdMethod);
registerMethod(sctMethod);
