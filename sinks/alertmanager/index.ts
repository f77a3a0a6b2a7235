export * from './alertmanager.js';
