// The simulated world the peer tests run against, written as a testdc world
// config (format: tests/dc/world_config.h) next to the peer's own TL schema,
// so that testdc answers the peer at the layer it declares.
//
// The tests assert what the DC returns against these values.

export const API_ID = 94575;
export const API_HASH = 'a3406de8d171bb422bb6ddf3bbd800e2';

// The DC every client first connects to, home of every account.
export const HOME_DC = 2;

export const ALICE = {
  id: 1001, phone: '15550001001', code: '11111',
  firstName: 'Alice', lastName: 'Smith', username: 'alice',
};
export const BOB = {
  id: 1002, phone: '15550001002', code: '22222',
  firstName: 'Bob', lastName: 'Jones', username: 'bob',
  password: 'hunter2', hint: 'the usual',  // 2FA: account.getPassword + SRP
};

export const GROUP = { id: 3001, title: 'Friends' };  // basic group: Alice, Bob, the bot

// Another DC, for clients that connect there first and must follow
// USER_MIGRATE_2 / PHONE_MIGRATE_2 to the accounts' home.
export const OTHER_DC = 4;
export const BOT = {
  id: 7001, username: 'echo_bot', firstName: 'Echo Bot', secret: 'AAEchoBotSecret0123456789',
  get token() { return `${this.id}:${this.secret}`; },
};

// The config text. `schemas` are extra layer schemas (.tl with `// LAYER N`,
// or mtcute .json) for testdc to load; DC addresses are the placeholders of
// the default world, which testdc replaces with where it really listens.
// `homes` moves accounts to another home DC than HOME_DC ({[BOT.id]: 4}).
export function worldConfig({ schemas = [], seed = 1, homes = {} } = {}) {
  const lines = [
    '# World of the peer tests (tests/peers/world.mjs).',
    `seed ${seed}`,
  ];
  for (let dc = 1; dc <= 5; dc++) lines.push(`dc ${dc} 127.0.0.1 ${10440 + dc}`);
  for (const s of schemas) lines.push(`schema ${s}`);
  const user = (u) => `user id=${u.id} phone=${u.phone} first_name=${u.firstName} last_name=${u.lastName} ` +
    `username=${u.username} dc=${homes[u.id] ?? HOME_DC} code=${u.code}` +
    (u.password ? ` password=${u.password} hint="${u.hint}"` : '');
  lines.push(
    'login_code 12345',
    user(ALICE),
    user(BOB),
    `bot id=${BOT.id} username=${BOT.username} first_name="${BOT.firstName}" secret=${BOT.secret} dc=${homes[BOT.id] ?? HOME_DC}`,
    `group id=${GROUP.id} title=${GROUP.title} creator=${ALICE.id} members=${ALICE.id},${BOB.id},${BOT.id}`,
    `channel id=4001 title=News username=mtcore_news creator=${ALICE.id} members=${ALICE.id},${BOB.id} broadcast`,
  );
  return lines.join('\n') + '\n';
}
