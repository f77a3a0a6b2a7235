// The pipeline's database for benches and tests that measure or inspect it directly.
export { openAlertDb, statements } from '../store.js';
