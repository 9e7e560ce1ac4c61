/**
 * Builds the dashboard (web/) into dist/web, which `mailsight serve` serves at /. Preact's JSX runtime
 * through esbuild: no framework plugin needed. `npx vite --config web/vite.config.ts` serves it in
 * development, sending /api to a server on :8080.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: { outDir: fileURLToPath(new URL('../dist/web', import.meta.url)), emptyOutDir: true, sourcemap: true, assetsDir: 'assets' },
  server: { proxy: { '/api': 'http://localhost:8080' } },
  logLevel: 'warn',
});
