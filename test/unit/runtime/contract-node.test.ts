/** The runtime contract (`contract.ts`) against Node.js functions. */
import { runtimeContract } from './contract.js';

runtimeContract('node', 'Nodejs18.15');
