/**
 * A worker thread of ./wheel-pool.ts: claims wheels from the shared list until none is left (or one
 * failed anywhere), installs each, and reports each result or error (flattened so a
 * SneakpackError keeps its code and details), then `done`.
 */
import { parentPort } from 'node:worker_threads';
import { installWheel } from './wheel-install.js';
import { STOP, type WorkerReply, type WorkerRequest, claim, postableError } from './wheel-pool.js';

const port = parentPort;
if (port === null) throw new Error('wheel-worker.js runs as a worker thread of wheel-pool.js');

port.once('message', async (request: WorkerRequest) => {
  const counters = new Int32Array(request.shared);
  const post = (reply: WorkerReply): void => port.postMessage(reply);
  for (let k = claim(counters, request.wheels.length); k !== null; k = claim(counters, request.wheels.length)) {
    const { index, wheelPath, options } = request.wheels[k]!;
    try {
      post({ kind: 'installed', index, result: await installWheel(wheelPath, request.venv, options) });
    } catch (e) {
      Atomics.store(counters, STOP, 1);
      post({ kind: 'failed', index, error: postableError(e) });
    }
  }
  post({ kind: 'done' });
});
