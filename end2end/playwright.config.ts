import { defineConfig } from '@playwright/test';

// The server on its own port, with a fresh SQLite database and the
// demo data, driven in Debian's chromium (never a downloaded browser).
const PORT = 3100;
export const ADMIN_PASSWORD = 'e2e-管理员-password';
export const BASE_URL = `http://127.0.0.1:${PORT}`;
/** Every SMS the main server sends, one JSON line each (HCP_SMS_FILE). */
export const SMS_FILE = '../target/e2e/sms.jsonl';
/** The second server: HCP_REAL_NAME=required, and a provincial platform
 * configured at PROVINCE_PORT, where nothing listens until
 * tests/upstream.spec.ts starts a fake platform there. */
export const REAL_NAME_PORT = 3101;
export const PROVINCE_PORT = 3199;
export const PROVINCE_TOKEN = 'e2e-province-token';
/** The 12345 hotline's callback token on the real-name server, which routes
 * the demo hall's district (东城区 410402) through the hotline. */
export const HOTLINE_TOKEN = 'e2e-hotline-callback-token';
/** The server binary: the release one by default; `make test` passes the
 * one its integration tests just built (`target/debug/server`), so the
 * suite does not compile every dependency a second time (README). */
const SERVER = process.env.HCP_SERVER_BIN ?? '../target/release/server';
/** Two servers on one PostgreSQL database (the deployment shape of
 * docs/deploy.md): a pad paired through one, a service started through the
 * other (tests/cluster.spec.ts). The database is made afresh and the
 * second server starts once the first has migrated it and loaded the demo. */
export const CLUSTER_A_PORT = 3102;
export const CLUSTER_B_PORT = 3103;
const PG = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CLUSTER_DB = PG.replace(/\/[^/]*$/, '/hcp_e2e_cluster');
const clusterEnv = (port: number) => ({
  LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
  LEPTOS_SITE_ROOT: '../target/site',
  LEPTOS_SITE_PKG_DIR: 'pkg',
  LEPTOS_OUTPUT_NAME: 'hcp',
  DATABASE_URL: CLUSTER_DB,
  HCP_DEMO_PASSWORD: ADMIN_PASSWORD,
  HCP_LIMIT_LOGIN_ADDRESS: '0',
  HCP_LIMIT_ENROL_ADDRESS: '0',
  RUST_LOG: 'warn',
});

export default defineConfig({
  testDir: './tests',
  timeout: 90_000,
  // The whole run (about 8 minutes on two cores) fails rather than hangs CI.
  globalTimeout: 30 * 60_000,
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
        HCP_PROVINCE_URL: `http://127.0.0.1:${PROVINCE_PORT}/records`,
        HCP_PROVINCE_TOKEN: PROVINCE_TOKEN,
        HCP_HOTLINE_URL: `http://127.0.0.1:${PROVINCE_PORT}/hotline`,
        HCP_HOTLINE_REGIONS: '410402',
        HCP_HOTLINE_INBOUND_TOKEN: HOTLINE_TOKEN,
        HCP_LIMIT_LOGIN_ADDRESS: '0',
        HCP_LIMIT_ENROL_ADDRESS: '0',
        RUST_LOG: 'warn',
      },
    },
    {
      command: `PGOPTIONS=--client-min-messages=warning psql "${PG}" -q -c 'DROP DATABASE IF EXISTS hcp_e2e_cluster WITH (FORCE)' -c 'CREATE DATABASE hcp_e2e_cluster' && exec ${SERVER}`,
      url: `http://127.0.0.1:${CLUSTER_A_PORT}/`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: { ...clusterEnv(CLUSTER_A_PORT), HCP_DEMO: '1' },
    },
    {
      command: `until curl -sf http://127.0.0.1:${CLUSTER_A_PORT}/ >/dev/null; do sleep 0.5; done; exec ${SERVER}`,
      url: `http://127.0.0.1:${CLUSTER_B_PORT}/`,
      reuseExistingServer: false,
      timeout: 90_000,
      stdout: 'ignore',
      stderr: 'pipe',
      env: clusterEnv(CLUSTER_B_PORT),
    },
  ],
});
