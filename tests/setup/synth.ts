/**
 * globalSetup of the integration project: starts the one bundled `cdk synth` the deploy tests
 * share (tests/deploy/synth-cache.ts) when the run begins, so it builds beside the first test
 * files instead of in front of the first deploy test. It is not awaited here: the deploy tests'
 * own sharedSynth() waits on its lock (or finds it cached). If it fails, the first deploy test
 * to ask builds it again and reports the error. Teardown waits for it, so no half-built
 * assembly or orphaned `cdk` process outlives the run.
 */
import { sharedSynth } from "../deploy/synth-cache.ts";

export default function setup(): () => Promise<void> {
  const started = performance.now();
  const pending = sharedSynth().then(
    () => {
      if (process.env.VITEST_SYNTH_LOG)
        console.log(`shared cdk synth ready after ${Math.round(performance.now() - started)} ms`);
    },
    () => {},
  );
  return async () => {
    await pending;
  };
}
