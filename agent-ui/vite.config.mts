import path from 'node:path';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const here = import.meta.dirname;

/**
 * The web app (agent desk; supervisor board and manager console later): built into agent-ui/dist,
 * which express serves. `@shared` is the server/web contract in src/shared (types and zod schemas).
 * Routes and heavy parts (charts, the SIP stack) are separate chunks loaded when needed.
 */
export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  resolve: { alias: { '@shared': path.resolve(here, '../src/shared') } },
  build: {
    outDir: path.resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
    rolldownOptions: {
      output: {
        // one long-lived vendor chunk for React and the UI kit, so an app release re-downloads little
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 30 },
            { name: 'antd', test: /node_modules[\\/](antd|@ant-design|@rc-component|rc-[a-z-]+|dayjs)[\\/]/, priority: 20 },
          ],
        },
      },
    },
  },
  test: {
    root: here,
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'jsdom',
    setupFiles: ['src/test-setup.ts'],
    css: false,
  },
});
