/** Allowed: the lowest client layer imports the contract, which is below everything. */
import type { Frame } from '../../../contract/frames.js';

export type WireFrame = { frame: Frame };
