// Runs every benchmark in turn. Each prints its own ratios against a baseline measured in the same process.
import { disabledOverhead } from './disabled-overhead.js';

await disabledOverhead();
