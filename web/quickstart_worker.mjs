// The quickstart's conversation in a dedicated worker (web/quickstart.html
// with ?worker): the client, its WebSocket and its timers live off the
// page's main thread, which only shows what the worker posts.
//
// In: one message {config, schema} (see quickstart.mjs). Out: {log: line}
// for each step, then {report}.
import createModule from './mtcore.mjs';
import { MtcoreClient } from './mtcore_client.mjs';
import { runQuickstart } from './quickstart.mjs';

self.onmessage = async ({ data: { config, schema } }) => {
  const log = (line) => self.postMessage({ log: line });
  let report;
  try {
    report = await runQuickstart({ createModule, MtcoreClient, config, schema, log });
  } catch (e) {
    report = { ok: false, error: String(e.stack || e) };
  }
  self.postMessage({ report });
};
