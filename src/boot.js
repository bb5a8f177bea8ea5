// Starts the wasm app. Kept as a file (not inline) so the Content-Security-Policy
// can forbid inline scripts. Trunk puts the hashed file names on this script's tag.
const tag = document.querySelector("script[data-js][data-wasm]");
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
