export * from './cli.js';
export * from './json.js';
export * from './machine.js';
export * from './proc.js';
