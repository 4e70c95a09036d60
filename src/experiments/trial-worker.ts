import { type TrialThreads, runTrial } from './trial.js';
import type { TrialSpec } from './suite.js';

/**
 * Entry of a trial worker process (child_process.fork): receives one trial over IPC, runs it, sends the
 * record back and exits. One process per trial keeps trials independent and makes peak RSS per trial.
 */
process.once('message', (msg: { trial: TrialSpec; threads: TrialThreads }) => {
  void runTrial(msg.trial, msg.threads).then((record) => {
    process.send?.({ record }, () => process.exit(0));
  });
});
