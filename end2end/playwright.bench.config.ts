import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// `make bench`: browser-side figures, on the same server set-up as the tests.
export default defineConfig({ ...base, testDir: './bench', testMatch: '**/*.bench.ts', reporter: [['line']] });
