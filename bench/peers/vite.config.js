// Three static pages, served on loopback by the bench beside Cubby (tests/bench.rs).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  logLevel: 'warn',
  build: {
    outDir: process.env.PEERS_OUT_DIR || 'dist',
    emptyOutDir: true,
    // The production build a site would ship: minified, no source maps.
    sourcemap: false,
    // The Storage Browser page is one large chunk, as its reference setup ships.
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      // React's `"use client"` markers mean nothing in a client-only build.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      input: {
        sdk: resolve(import.meta.dirname, 'sdk.html'),
        'storage-browser': resolve(import.meta.dirname, 'storage-browser.html'),
      },
    },
  },
});
