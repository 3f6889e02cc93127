// Small helpers shared by the peer test files.
import { withTimeout, STEP_TIMEOUT_MS } from './testdc.mjs';

// Runs one awaited step of a peer flow with a timeout; a failure carries the
// step's name and the tail of testdc's stderr.
export async function step(dc, what, fn, ms = STEP_TIMEOUT_MS) {
  try {
    return await withTimeout(Promise.resolve().then(fn), what, ms);
  } catch (e) {
    const err = new Error(`${what}: ${e?.errorMessage ? `RPC error ${e.code} ${e.errorMessage}` : e?.message || e}\n--- ${dc.describe()}`);
    err.cause = e;
    throw err;
  }
}

// A promise for the first value `accept` returns non-undefined for; `feed`
// is handed to the event source.
export function waitFor(accept) {
  let feed;
  const promise = new Promise((resolve) => {
    feed = (value) => {
      const r = accept(value);
      if (r !== undefined) resolve(r);
    };
  });
  return { promise, feed };
}

// Fails the test if an earlier step did not produce what this one needs.
export function need(value, what) {
  if (value === undefined || value === null) throw new Error(`${what} is missing: an earlier step of this flow failed`);
  return value;
}

export function uniqueText(tag) {
  return `${tag} ${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
