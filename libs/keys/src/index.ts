export * from './policy.js';
export * from './wire.js';
export * from './decode.js';
export * from './verify.js';
export * from './key-manager.js';
export * from './bundle.js';
