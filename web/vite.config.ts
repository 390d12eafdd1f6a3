import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// `npm run dev` proxies the API to a zhizhi server on this machine (ZHIZHI_DEV_API, default
// http://127.0.0.1:8080); `npm run build` writes dist/, which `zhizhi serve` serves. Two pages:
// the command screen (index.html) and the grid worker's phone page (m/index.html, served for /m/…).
const api = process.env.ZHIZHI_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    sourcemap: false,
    rollupOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        mobile: fileURLToPath(new URL('./m/index.html', import.meta.url)),
      },
    },
  },
  server: {
    proxy: { '/api': { target: api, ws: true } },
  },
});
