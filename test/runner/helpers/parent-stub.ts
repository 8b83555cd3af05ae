/**
 * A stand-in daemon for crash tests: runs one fixture job through executeRun and prints
 * `{"runId":…,"pid":…}` once the job reports its first note, then waits to be SIGKILLed.
 * argv: stateDir logDir fixtureName paramsJson
 */
import { RunStore } from '../../../src/runner/run-store.js';
import { executeRun } from '../../../src/runner/spawn-run.js';
import { specFor } from './run-fixtures.js';

const [stateDir, logDir, fixture, paramsJson] = process.argv.slice(2);
const store = new RunStore(stateDir!, logDir!);
const record = await store.create({ job: 'crashy', type: fixture!, trigger: 'manual', slot: null });
let announced = false;
await executeRun(specFor(record, fixture!, { params: JSON.parse(paramsJson ?? '{}') as Record<string, unknown> }), record, {
  store,
  timeoutMs: 120_000,
  killGraceMs: 1000,
  maxMemoryMb: 128,
  onMessage(msg) {
    if (msg.type === 'note' && !announced) {
      announced = true;
      process.stdout.write(`${JSON.stringify({ runId: record.runId, pid: record.pid })}\n`);
    }
  },
});
