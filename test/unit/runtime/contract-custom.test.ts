/**
 * The runtime contract (`contract.ts`) against SCF's Custom Runtime: the Python fixture's own
 * `scf_bootstrap` (shell, then Python: `runtime.py`) serves the same handler through the runtime API.
 */
import { runtimeContract } from './contract.js';

runtimeContract('python', 'CustomRuntime', { loadsHandler: false, durationSlackMs: 80 });
