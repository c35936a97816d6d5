import { defineConfig } from '@playwright/test';

// The server on its own port, with a fresh SQLite database and the
// demo data, driven in Debian's chromium (never a downloaded browser).
const PORT = 3100;
export const ADMIN_PASSWORD = 'e2e-管理员-password';
export const BASE_URL = `http://127.0.0.1:${PORT}`;
/** Every SMS the main server sends, one JSON line each (HCP_SMS_FILE). */
export const SMS_FILE = '../target/e2e/sms.jsonl';
/** The second server: HCP_REAL_NAME=required. */
export const REAL_NAME_PORT = 3101;
/** The server binary: the release one by default; `make test` passes the
 * one its integration tests just built (`target/debug/server`), so the
 * suite does not compile every dependency a second time (README). */
const SERVER = process.env.HCP_SERVER_BIN ?? '../target/release/server';

export default defineConfig({
  testDir: './tests',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    locale: 'zh-CN',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
    screenshot: 'only-on-failure',
    trace: 'off',
  },
  webServer: [
    {
      command: `rm -rf ../target/e2e && mkdir -p ../target/e2e && exec ${SERVER}`,
      url: `http://127.0.0.1:${PORT}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${PORT}`,
        LEPTOS_SITE_ROOT: '../target/site',
        LEPTOS_SITE_PKG_DIR: 'pkg',
        LEPTOS_OUTPUT_NAME: 'hcp',
        DATABASE_URL: 'sqlite://../target/e2e/e2e.db',
        HCP_DEMO: '1',
        HCP_DEMO_PASSWORD: ADMIN_PASSWORD,
        // The suite signs in and enrols devices hundreds of times from one
        // address; those per-address limits are tested by the server tests.
        HCP_LIMIT_LOGIN_ADDRESS: '0',
        HCP_LIMIT_ENROL_ADDRESS: '0',
        // What the citizens' phones receive (the outbox page masks it).
        HCP_SMS_FILE: SMS_FILE,
        RUST_LOG: 'warn',
      },
    },
    {
      // A city whose policy requires a phone number with every web rating.
      command: `rm -rf ../target/e2e-real-name && mkdir -p ../target/e2e-real-name && exec ${SERVER}`,
      url: `http://127.0.0.1:${REAL_NAME_PORT}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: {
        LEPTOS_SITE_ADDR: `127.0.0.1:${REAL_NAME_PORT}`,
        LEPTOS_SITE_ROOT: '../target/site',
        LEPTOS_SITE_PKG_DIR: 'pkg',
        LEPTOS_OUTPUT_NAME: 'hcp',
        DATABASE_URL: 'sqlite://../target/e2e-real-name/e2e.db',
        HCP_DEMO: '1',
        HCP_DEMO_CITY: '0',
        HCP_DEMO_PASSWORD: ADMIN_PASSWORD,
        HCP_REAL_NAME: 'required',
        HCP_LIMIT_LOGIN_ADDRESS: '0',
        HCP_LIMIT_ENROL_ADDRESS: '0',
        RUST_LOG: 'warn',
      },
    },
  ],
});
