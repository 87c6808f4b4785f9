import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const API_MAIN = join(ROOT, 'apps/api/dist/main.js');
export const WEB_INDEX = join(ROOT, 'apps/web/dist/index.html');

/**
 * With PAIRCHAT_E2E_BUILD=1, builds libs, web and api first; then reports whether the api is
 * built (a suite skips loudly when it is not).
 */
export function ensureBuilt(suite: string): boolean {
  if (process.env.PAIRCHAT_E2E_BUILD === '1') {
    for (const script of [
      ['run', 'build:libs'],
      ['run', 'build', '-w', '@pairchat/web'],
      ['run', 'build', '-w', '@pairchat/api'],
    ]) {
      const result = spawnSync('npm', script, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
      if (result.status !== 0) {
        throw new Error(`npm ${script.join(' ')} failed:\n${(result.stdout + result.stderr).slice(-4000)}`);
      }
    }
  }
  const built = existsSync(API_MAIN);
  if (!built) console.warn(`!!! SKIPPING ${suite}: ${API_MAIN} is missing. Run \`npm run build\` first. !!!`);
  return built;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A running api process on its own SQLite file, with everything it printed. */
export interface ApiProcess {
  baseUrl: string;
  sqlitePath: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything written to stdout and stderr so far (complete, for the plaintext scan). */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** Stops and deletes the data directory. */
  dispose(): Promise<void>;
}

/** Starts the built api on a free port with a fresh SQLite database and waits for /health. */
export async function startApi(options: { logLevel?: string; env?: Record<string, string> } = {}): Promise<ApiProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pairchat-web-e2e-'));
  const sqlitePath = join(dataDir, 'pairchat.sqlite');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [API_MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      SQLITE_PATH: sqlitePath,
      LOG_LEVEL: options.logLevel ?? 'warn',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      DATABASE_URL: '',
      REDIS_URL: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const output = () => chunks.join('');

  async function stop(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  const api: ApiProcess = {
    baseUrl,
    sqlitePath,
    dataDir,
    process: child,
    output,
    stop,
    async dispose() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await waitForHealth(baseUrl, child, output);
  } catch (error) {
    await api.dispose();
    throw error;
  }
  return api;
}

async function waitForHealth(baseUrl: string, api: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (api.exitCode !== null) throw new Error(`api exited with ${api.exitCode}:\n${output().slice(-8000)}`);
    try {
      const response = await fetch(`${baseUrl}/health`, { headers: { Accept: 'application/json' } });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`api did not become healthy:\n${output().slice(-8000)}`);
}
