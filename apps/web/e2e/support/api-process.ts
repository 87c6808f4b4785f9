import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_MAIN, startApiProcess, type ApiProcess as RunningApi } from '../../../api/test/utils/api-process.js';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const WEB_DIST = join(ROOT, 'apps/web/dist');
export const WEB_INDEX = join(WEB_DIST, 'index.html');
export { API_MAIN };

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

/** The built api on its own fresh SQLite database, serving the built web app. */
export interface SqliteApi {
  baseUrl: string;
  sqlitePath: string;
  /** Everything written to stdout and stderr so far (complete, for the plaintext scan). */
  output(): string;
  stop(): Promise<void>;
  /** Stops the process and deletes its data directory. */
  dispose(): Promise<void>;
}

export async function startSqliteApi(
  options: { logLevel?: string; env?: Record<string, string> } = {},
): Promise<SqliteApi> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pairchat-web-e2e-'));
  const sqlitePath = join(dataDir, 'pairchat.sqlite');
  let api: RunningApi;
  try {
    api = await startApiProcess(
      {
        SQLITE_PATH: sqlitePath,
        WEB_DIST_DIR: WEB_DIST,
        LOG_LEVEL: options.logLevel ?? 'warn',
        JWT_SECRET: randomBytes(32).toString('base64url'),
        ...options.env,
      },
      60_000,
    );
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const stop = async () => {
    const killer = setTimeout(() => api.child.kill('SIGKILL'), 5_000);
    await api.stop();
    clearTimeout(killer);
  };
  return {
    baseUrl: api.url,
    sqlitePath,
    output: api.output,
    stop,
    async dispose() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
