// Emscripten 3.1.6's ES-module output still uses CommonJS `require` and
// `__dirname` when it runs under node. Give an ES module both, from
// import.meta.url; in a browser neither is defined or needed.
const mtcoreIsNode = typeof process === 'object' && !!(process.versions && process.versions.node);
const require = mtcoreIsNode ? (await import('node:module')).createRequire(import.meta.url) : undefined;
const __dirname = mtcoreIsNode ? decodeURIComponent(new URL('.', import.meta.url).pathname) : '';
