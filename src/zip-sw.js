// The zip download stream (src/web/save.rs): where the browser has no save-file
// picker, the page hands a zip to this service worker a chunk at a time and the
// browser downloads it as the answer to a request for `zip-download/<id>`.
// Registered only for that (its scope is `zip-download/`, so it sees no other
// request), from the app's own origin (the CSP's script-src 'self').
//
// The page sends one message with the download's id and name and a
// MessagePort; on that port it sends a chunk (`{ chunk: Uint8Array }`) each
// time this worker asks (`"pull"`, when the stream wants more: the download's
// own pace), then `{ done: true }`, or `{ error: true }` to fail the download
// (no cut-off file is left looking complete). A download cancelled in the
// browser tells the page `"cancelled"`.
const waiting = new Map();

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// Any message to the worker is an event that keeps it alive a while: the page
// sends "keep-alive" every 10 s while a zip streams (messages on the port are
// not events of the worker).
self.addEventListener("message", (event) => {
  const { id, name } = event.data || {};
  const port = event.ports[0];
  if (typeof id !== "string" || typeof name !== "string" || !port) return;
  waiting.set(id, { name, port });
  port.postMessage("ready");
});

self.addEventListener("fetch", (event) => {
  const id = new URL(event.request.url).pathname.split("/").pop();
  const download = waiting.get(id);
  if (!download) return;
  waiting.delete(id);
  const { name, port } = download;
  const stream = new ReadableStream({
    pull(controller) {
      return new Promise((resolve) => {
        port.onmessage = ({ data }) => {
          if (data && data.chunk) controller.enqueue(data.chunk);
          else if (data && data.done) controller.close();
          else controller.error(new Error("the zip was not finished"));
          resolve();
        };
        port.postMessage("pull");
      });
    },
    cancel() {
      port.postMessage("cancelled");
    },
  });
  event.respondWith(
    new Response(stream, {
      headers: {
        "Content-Type": "application/zip",
        "Content-Disposition": "attachment; filename*=UTF-8''" + rfc5987(name),
      },
    }),
  );
});

// RFC 5987's value-chars: encodeURIComponent leaves ' ( ) * as they are.
function rfc5987(name) {
  return encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}
