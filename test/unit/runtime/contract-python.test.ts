/** The runtime contract (`contract.ts`) against Python functions. */
import { runtimeContract } from './contract.js';

runtimeContract('python', 'Python3.9');
