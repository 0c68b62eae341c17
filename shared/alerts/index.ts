export * from './alert-key.js';
export * from './state-machine.js';
export * from './alert-event.js';
