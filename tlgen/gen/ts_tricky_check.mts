// Compiled by //tlgen/gen:ts_generator_tsc_test with tsc --strict against
// the declarations tlgen_ts writes for testdata/ts_tricky.tl. The lines
// marked as expected errors must not compile.
import type { AnyRequest, In, Layer, Methods, ResultOf, fn, tl } from './ts_tricky.mjs';

const layer: Layer = 3;
// Reserved words: declaration names get a '$', field names stay.
const c: tl.class$ = { _: 'class', default: 1, function: 'f' };
const n: tl.Null = { _: 'null' };
const d: fn.delete$ = { _: 'delete' };
const item: tl.export$.Item = { _: 'export.item', id: '1' };
const get: fn.export$.getItem = { _: 'export.getItem', id: 1n };
// Flags, true flags, vectors of vectors, int128/int256, Object.
const note: tl.messages.Note = {
  _: 'messages.note', default: 'd', class: 1, grid: [[1.5, 'NaN'], []], ok: true, data: 'AA==',
  nonce: '00112233445566778899aabbccddeeff', key: '00', any: { _: 'point', x: 1, y: 2 }, pinned: true,
  tags: ['a', { $bytes: '/w==' }],
};
const given: tl.messages.Note<In> = { ...note, flags: 5, data: new Uint8Array(1), from: { _: 'peerUser', user_id: 1n } };
const leftOut: tl.messages.Note<In> = { ...note, views: null, from: null };
// Bare objects may leave out `_`.
const pair: tl.Pair = { _: 'pair', a: { x: 1, y: 2 }, b: { _: 'point', x: 1, y: 2 }, c: [{ x: 0, y: 0 }] };
// A constructor named like a namespace.
const u: tl.Updates = { _: 'updates', state: { _: 'updates.state', pts: 1 } };
// A type no constructor builds: the optional field can only be absent.
const h: tl.Holder = { _: 'holder' };
// Results, through wrappers.
const numbers: ResultOf<{ _: 'invokeWithLayer'; layer: 3; query: { _: 'invokeWithoutUpdates'; query: fn.help.getNumbers } }> = [1];
const state: Methods['updates.getState']['result'] = { _: 'updates.state', pts: 2 };
const wrapped: fn.invokeWithLayer<fn.delete$> = { _: 'invokeWithLayer', layer: 3, query: d };
const unknownInner: unknown = null as unknown as ResultOf<fn.invokeWithLayer>;
const all: AnyRequest[] = [d, get, wrapped, { _: 'help.getNumbers' }];

// @ts-expect-error: results carry longs as strings
const bad1: tl.Peer = { _: 'peerUser', user_id: 1n };
// @ts-expect-error: no Peer constructor has this name
const bad2: tl.Peer<In> = { _: 'peerNobody' };
// @ts-expect-error: a TL string is no number
const bad3: fn.export$.getItem = { _: 'export.getItem', id: 'x', extra: 1 };
// @ts-expect-error: the type of Ghost has no constructor
const bad4: tl.Holder = { _: 'holder', thing: { _: 'ghost' } };
// @ts-expect-error: results leave optional fields out, never null
const bad8: tl.messages.Note = { ...note, views: null };
// @ts-expect-error: required `pts`
const bad5: tl.updates.State = { _: 'updates.state' };
// @ts-expect-error: a bare object's `_` still names its constructor
const bad6: tl.Pair = { _: 'pair', a: { _: 'pair', x: 1, y: 2 }, b: { x: 1, y: 2 }, c: [] };
// @ts-expect-error: help.getNumbers returns numbers
const bad7: ResultOf<fn.help.getNumbers> = ['1'];

export const all_ = [layer, c, n, item, note, given, leftOut, pair, u, h, numbers, state, unknownInner, all,
  bad1, bad2, bad3, bad4, bad5, bad6, bad7, bad8];
