import { createConnection } from 'node:net';

export const MARIADB_URL = process.env.PAIRCHAT_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
export const REDIS_URL = process.env.PAIRCHAT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** True when something accepts TCP connections at the URL's host and port. */
export function reachable(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether a suite that needs `service` may run. With PAIRCHAT_REQUIRE_SERVICES=1 (CI) a missing
 * service is an error; otherwise the suite is skipped with one loud line saying why.
 */
export async function serviceAvailable(service: 'MariaDB' | 'Redis', url: string): Promise<boolean> {
  if (await reachable(url)) return true;
  const why = `${service} is not answering at ${url}`;
  if (process.env.PAIRCHAT_REQUIRE_SERVICES === '1') throw new Error(`${why} and PAIRCHAT_REQUIRE_SERVICES=1`);
  console.warn(
    `\n!!! SKIPPING ${service} tests: ${why}. Start it (see README) or set PAIRCHAT_REQUIRE_SERVICES=1 to fail instead.\n`,
  );
  return false;
}
