// What the browser client's node tests against testdc share
// (testdc_node_test.bzl puts this file beside them): testdc started with a
// world config, the module loaded from the runfiles, each DC's WebSocket URL,
// and clients made and logged in the way a page does. Test-only.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { TestDc } from '../tests/peers/testdc.mjs';
import { API_ID, API_HASH, HOME_DC, worldConfig } from '../tests/peers/world.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCHEMA = path.resolve(process.env.MTCORE_API_SCHEMA || 'external/mtcute_schema/package/tl/api-schema.json');

// Starts testdc with `config` (and its extra command-line `args`) and loads
// the module. The result's connect(options) makes a client of HOME_DC (any
// create() option overrides); stop() stops testdc.
export async function startTestDcEnv({ config = worldConfig(), args = [] } = {}) {
  const dc = new TestDc();
  await dc.start([`--config=${dc.writeFile('world.conf', config)}`, ...args]);
  const { default: createModule } = await import(pathToFileURL(path.join(here, 'mtcore.mjs')).href);
  const lib = await import(pathToFileURL(path.join(here, 'mtcore_client.mjs')).href);
  const wsUrls = {};
  for (const [id, a] of dc.dcs) wsUrls[id] = `ws://${a.host}:${a.port}/apiws`;
  const wasmBinary = readFileSync(path.join(here, 'mtcore.wasm'));
  const module = await createModule({ wasmBinary });
  const schema = readFileSync(SCHEMA, 'utf8');
  return {
    dc, lib, module, wsUrls, schema, createModule, wasmBinary,
    connect: (options = {}) => lib.MtcoreClient.create({
      module, schema, dc: HOME_DC, rsaKey: dc.pem, apiId: API_ID, apiHash: API_HASH,
      url: (n) => wsUrls[n], ...options,
    }),
    stop: () => dc.stop(),
  };
}

// Logs `client` in as `user` of world.mjs (its code, and its 2FA password
// if it has one).
export function logInUser(client, user) {
  return client.logInWithPhone({
    phone: user.phone,
    onCode: (how, refused) => {
      if (refused) throw new Error(`${user.phone}: the code was refused: ${refused}`);
      return user.code;
    },
    onPassword: user.password === undefined ? undefined : () => user.password,
  });
}
