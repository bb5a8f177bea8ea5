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
    rollupOptions: {
      input: {
        sdk: resolve(import.meta.dirname, 'sdk.html'),
        amplify: resolve(import.meta.dirname, 'amplify.html'),
        'storage-browser': resolve(import.meta.dirname, 'storage-browser.html'),
      },
    },
  },
});
