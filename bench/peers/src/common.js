// What every transfer page shares: the one file the bench picked, a place for
// the running operation's outcome (polled over WebDriver, so no script timeout
// applies), and resource timing kept for every request (the default holds 250).
performance.setResourceTimingBufferSize(1000000);

export const MIB = 1024 * 1024;

/** The file picked in `#file` (the bench sends its path, as for Cubby). */
export function pickedFile() {
  const file = document.getElementById('file').files[0];
  if (!file) throw new Error('no file picked in #file');
  return file;
}

/**
 * Runs `work` (async) and records its outcome in `window.__peer`:
 * `{ done: true, ms, value }` or `{ done: true, error }`.
 */
export function track(work) {
  const started = performance.now();
  window.__peer = { done: false, started };
  work().then(
    (value) => { window.__peer = { done: true, ms: performance.now() - started, value }; },
    (e) => { window.__peer = { done: true, error: String(e && (e.stack || e.message) || e) }; },
  );
}
