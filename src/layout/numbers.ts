/** The number helpers moved to src/numbers.ts (they serve loaders, ROM images and the CLI, not only layouts). */
// Kept for boot.ts, which another branch is changing: point it at '../numbers.js' after that merge, then delete this.
export { alignUp, hex } from '../numbers.js';
