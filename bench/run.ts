// Runs every benchmark in turn. Each prints its own ratios against a baseline measured in the same process.
import { callerPath } from './caller-path.js';
import { disabledOverhead } from './disabled-overhead.js';
import { seedParity } from './seed-parity.js';

await disabledOverhead();
await callerPath();
await seedParity();
