// Starts the wasm app. Kept as a file (not inline) so the Content-Security-Policy
// can forbid inline scripts. Trunk puts the hashed file names on this script's tag.
const tag = document.querySelector("script[data-js][data-wasm]");

// A returning user sees the frame, not the sign-in card, until the app takes over.
// "cubby.tokens" is model::storage_keys::TOKENS (its unit test checks this copy).
try {
  const stored = (s) => s.getItem("cubby.tokens") !== null;
  const callback = new URLSearchParams(location.search).has("code");
  if (callback || stored(localStorage) || stored(sessionStorage)) {
    document.getElementById("first-paint")?.classList.add("returning");
  }
} catch {
  // Storage refused (e.g. blocked cookies): the sign-in card stays.
}

// Nothing more is asked for until the first view above has painted: on a slow
// link the wasm (about 400 KB compressed) would share the bandwidth with the
// stylesheet that paint waits for, and every request made before the paint is
// one more the paint may wait on. The paint is known when the browser reports
// its first contentful paint; a frame is not enough (under load the paint showed
// tens of milliseconds after the next task). A hidden tab paints nothing, so it
// goes on at once, and a browser without paint timing after a second.
if (document.visibilityState === "visible") {
  await new Promise((painted) => {
    const fallback = setTimeout(painted, 1000);
    try {
      new PerformanceObserver((list, observer) => {
        if (list.getEntriesByName("first-contentful-paint").length > 0) {
          observer.disconnect();
          clearTimeout(fallback);
          painted();
        }
      }).observe({ type: "paint", buffered: true });
    } catch {
      // No paint timing here: the fallback goes on.
    }
  });
}

// config.json is asked for now, beside the wasm, not after it: the app takes this
// answer (src/web/config_loader.rs) instead of asking again. Resolved against this
// script's address, as the app's own request is, so the app starts on any path.
// The catch only marks a failure as handled here: the app reports it.
const config = fetch(new URL("config.json", tag.src), { cache: "no-cache" });
config.catch(() => {});
globalThis.cubbyConfig = config;

const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
