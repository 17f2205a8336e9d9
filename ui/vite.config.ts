// The Svelte UI: `vite build --config ui/vite.config.ts` writes ui/dist, which the REST API
// serves at `/`; `npm run ui:dev` serves it with hot reload and proxies /api to the REST API.
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const api = `http://${process.env.REST_HOST ?? '127.0.0.1'}:${process.env.REST_PORT ?? '3000'}`;

export default defineConfig({
  root,
  // svelteTesting only acts under Vitest: Svelte's browser build and cleanup after each test.
  plugins: [svelte({ configFile: false }), svelteTesting()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    port: Number(process.env.UI_PORT ?? 5173),
    proxy: { '/api': { target: api } },
  },
  test: {
    root,
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    // npm test runs these beside the librdkafka build and the unit tests on two cores: a
    // render that takes 1 s alone can take several there.
    testTimeout: 30_000,
  },
});
