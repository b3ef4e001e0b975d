// Samplers: fused solver steps, noise schedules, preconditioning, time grids and solvers.
export * from './steps';
export * from './schedules';
export * from './grids';
export * from './precond';
export * from './solvers';
