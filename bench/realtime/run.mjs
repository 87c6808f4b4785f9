// Realtime benchmark (`npm run bench`): throughput and latency of message:send -> message:new ->
// ack through the real api, against a bare Socket.IO relay measured in the same run.
//
// Scenarios: relay (baseline), sqlite (1 node), mariadb (1 node, Redis), mariadb-3 (3 nodes, Redis,
// sharded adapter). Server-side processes are pinned to CPU 0 and the load client to CPU 1 with
// taskset; the system's MariaDB and Redis are pinned to CPU 0 for the MariaDB scenarios only, and
// their affinity is restored afterwards.
//
//   node bench/realtime/run.mjs [--devices 1000] [--quick] [--rates 1000,5000] [--sizes 256] [--no-saturate] [--scenarios relay,sqlite,mariadb,mariadb-3] [--env K=V,...] [--out name]
//
// Writes bench/results/realtime.json and bench/results/realtime.md.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const quick = process.argv.includes('--quick');
const DEVICES = Number(arg('devices', quick ? 200 : 1000));
const SCENARIOS = arg('scenarios', 'relay,sqlite,mariadb,mariadb-3').split(',');
/** Extra api configuration, e.g. `--env MESSAGE_POLICY_CACHE_MS=5000,MESSAGE_FLUSH_INTERVAL_MS=5`. */
/** Result file name under bench/results (without extension). */
const OUT = arg('out', 'realtime');
const EXTRA_ENV = Object.fromEntries(
  (arg('env', '') || '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const MARIADB_URL = process.env.PAIRCHAT_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';
const REDIS_URL = process.env.PAIRCHAT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_MAIN = join(root, 'apps/api/dist/main.js');
const TICKS = 100; // USER_HZ of /proc/<pid>/stat on Linux
const list = (v) => (v ? v.split(',').map(Number) : null);
const load = {
  payloadSizes: list(arg('sizes')) ?? [256, 4096],
  rates: list(arg('rates')) ?? (quick ? [1000, 5000] : [1000, 2500, 5000, 10000]),
  saturate: !process.argv.includes('--no-saturate'),
  stepSeconds: quick ? 3 : 5,
  saturationSeconds: quick ? 3 : 5,
  saturationWindow: 2000,
};
const serverCpu = cpus().length > 1 ? '0' : null;
const clientCpu = cpus().length > 1 ? '1' : null;
const pinned = (cpu, cmd, args) => (cpu === null ? [cmd, args] : ['taskset', ['-c', cpu, cmd, ...args]]);

// ---- processes ------------------------------------------------------------------------------
async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startApi(env) {
  const port = await freePort();
  // PAIRCHAT_BENCH_PROFILE=<dir> writes a V8 CPU profile of each api process there.
  const profile = process.env.PAIRCHAT_BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PAIRCHAT_BENCH_PROFILE}`]
    : [];
  const [cmd, args] = pinned(serverCpu, process.execPath, [...profile, API_MAIN]);
  const child = spawn(cmd, args, {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`api on ${url} did not become healthy`);
}

async function startRelay() {
  const [cmd, args] = pinned(serverCpu, process.execPath, [join(here, 'relay-server.mjs')]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) =>
    createInterface({ input: child.stdout }).on(
      'line',
      (line) => line.startsWith('RELAY_LISTENING') && resolve(Number(line.split(' ')[1])),
    ),
  );
  return { url: `http://127.0.0.1:${port}`, child };
}

const stop = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });

/** The real server process under `taskset` (its only child). */
function serverPid(child) {
  if (serverCpu === null) return child.pid;
  try {
    return (
      Number(
        execFileSync('pgrep', ['-P', String(child.pid)])
          .toString()
          .trim()
          .split('\n')[0],
      ) || child.pid
    );
  } catch {
    return child.pid;
  }
}

function sample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS;
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    return { cpuSeconds, rss };
  } catch {
    return null;
  }
}

function systemPid(name) {
  try {
    return Number(execFileSync('pgrep', ['-x', name]).toString().trim().split('\n')[0]) || null;
  } catch {
    return null;
  }
}

/**
 * Pins a running system service (every thread) to the server CPU for one scenario, so the api,
 * MariaDB and Redis share CPU 0 and the load client has CPU 1 to itself.
 * @returns a function that restores the service's previous affinity
 */
const restores = new Set();
function pinService(pid) {
  if (serverCpu === null || !pid) return () => undefined;
  try {
    const mask = execFileSync('taskset', ['-p', String(pid)])
      .toString()
      .trim()
      .split(' ')
      .pop();
    execFileSync('taskset', ['-a', '-p', '-c', serverCpu, String(pid)], { stdio: 'ignore' });
    const restore = () => {
      restores.delete(restore);
      try {
        execFileSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });
      } catch {}
    };
    restores.add(restore);
    return restore;
  } catch {
    return () => undefined;
  }
}
process.on('exit', () => [...restores].forEach((restore) => restore()));
process.on('SIGINT', () => process.exit(130));

// ---- seeding ----------------------------------------------------------------------------------
const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
function accessToken(secret, userId, deviceId) {
  const iat = Math.floor(Date.now() / 1000);
  const body = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: userId, did: deviceId, jti: randomUUID(), iat, exp: iat + 7200 })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** Users, one device each, and pairs (device 2k with 2k+1), written straight into the api's tables. */
function population(secret) {
  const devices = [];
  for (let i = 0; i < DEVICES; i++) {
    const userId = randomUUID();
    const deviceId = randomUUID();
    devices.push({
      userId,
      deviceId,
      registrationId: (i % 16380) + 1,
      handle: `bench_${i}_${randomBytes(3).toString('hex')}`,
      token: accessToken(secret, userId, deviceId),
    });
  }
  const pairs = [];
  for (let i = 0; i + 1 < DEVICES; i += 2) pairs.push([i, i + 1], [i + 1, i]);
  return { devices, pairs };
}

function seedRows(devices) {
  const users = devices.map((d) => [d.userId, d.handle]);
  const pairRows = [];
  for (let i = 0; i + 1 < devices.length; i += 2) {
    const [a, b] = [devices[i].userId, devices[i + 1].userId].sort();
    pairRows.push([randomUUID(), a, b]);
  }
  return { users, pairRows };
}

async function seedSqlite(path, devices) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path);
  db.pragma('busy_timeout = 10000');
  const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
  const { users, pairRows } = seedRows(devices);
  db.transaction(() => {
    const u = db.prepare(
      'INSERT INTO users (id, handle, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
    );
    const d = db.prepare(
      'INSERT INTO devices (id, user_id, name, registration_id, created_at, last_seen_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)',
    );
    const p = db.prepare('INSERT INTO pairs (id, user_low, user_high, created_at) VALUES (?, ?, ?, ?)');
    for (const [id, handle] of users) u.run(id, handle, '!', now, now);
    for (const dev of devices) d.run(dev.deviceId, dev.userId, 'bench', dev.registrationId, now, now);
    for (const [id, a, b] of pairRows) p.run(id, a, b, now);
  })();
  db.close();
}

async function seedMysql(url, devices) {
  const { createConnection } = await import('mysql2/promise');
  const conn = await createConnection(url);
  const now = new Date();
  const { users, pairRows } = seedRows(devices);
  await conn.query('INSERT INTO users (id, handle, password_hash, created_at, updated_at) VALUES ?', [
    users.map(([id, h]) => [id, h, '!', now, now]),
  ]);
  await conn.query(
    'INSERT INTO devices (id, user_id, name, registration_id, created_at, last_seen_at, revoked_at) VALUES ?',
    [devices.map((d) => [d.deviceId, d.userId, 'bench', d.registrationId, now, now, null])],
  );
  await conn.query('INSERT INTO pairs (id, user_low, user_high, created_at) VALUES ?', [
    pairRows.map(([id, a, b]) => [id, a, b, now]),
  ]);
  await conn.end();
}

// ---- one scenario -------------------------------------------------------------------------------
async function runLoad(name, urls, pop, servers) {
  const configFile = join(tmpdir(), `pairchat-bench-${name}-${process.pid}.json`);
  writeFileSync(configFile, JSON.stringify({ ...load, urls, devices: pop.devices, pairs: pop.pairs }));
  const [cmd, args] = pinned(clientCpu, process.execPath, [join(here, 'load.mjs'), configFile]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const watched = { ...servers };
  const mariadb = systemPid('mariadbd') ?? systemPid('mysqld');
  const redis = systemPid('redis-server');
  if (name !== 'relay' && name !== 'sqlite' && mariadb) watched.mariadb = mariadb;
  if ((name === 'mariadb' || name === 'mariadb-3') && redis) watched.redis = redis;
  const clientPid = () => serverPid(child);
  const phases = {};
  const starts = {};
  const results = [];
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, rest] = [line.split(' ')[0], line.slice(line.indexOf(' ') + 1)];
    if (kind === 'PHASE_START') {
      starts[rest] = {
        at: Date.now(),
        procs: Object.fromEntries(
          Object.entries({ ...watched, client: clientPid() }).map(([k, pid]) => [k, sample(pid)]),
        ),
      };
    } else if (kind === 'PHASE_END') {
      const start = starts[rest];
      const procs = {};
      for (const [k, pid] of Object.entries({ ...watched, client: clientPid() })) {
        const end = sample(pid);
        const begin = start.procs[k];
        if (end && begin)
          procs[k] = { cpuSeconds: end.cpuSeconds - begin.cpuSeconds, rss: end.rss, rssBefore: begin.rss };
      }
      phases[rest] = { seconds: (Date.now() - start.at) / 1000, procs };
    } else if (kind === 'RESULT') {
      const result = JSON.parse(rest);
      const extra =
        result.phase === 'connect' ? { secondHalfProcesses: phases['connect-second-half']?.procs ?? {} } : {};
      results.push({ ...result, processes: phases[result.phase]?.procs ?? {}, ...extra });
      console.log(`  ${name} ${result.phase}: ${fmtRow(result)}`);
    }
  }
  rmSync(configFile, { force: true });
  return results;
}

const fmtRow = (r) =>
  r.phase === 'connect'
    ? `${r.devices} devices in ${r.seconds.toFixed(2)} s (${Math.round(r.connectsPerSecond)}/s, ${r.failures} failed)`
    : `${Math.round(r.deliveredPerSecond)} delivered/s, ${Math.round(r.ackedPerSecond)} acked/s, delivery p50/p99 ${r.deliveryMs.p50}/${r.deliveryMs.p99} ms, ack p99 ${r.ackMs.p99} ms, recipient acks ${r.recipientAcked ?? '?'} (p99 ${r.recipientAckMs?.p99 ?? '?'} ms), errors ${r.errors}${r.errors ? ' ' + JSON.stringify(r.errorCodes) : ''}${r.undrained ? `, ${r.undrained} not drained after 60 s` : ''}`;

async function scenario(name) {
  const secret = randomBytes(32).toString('hex');
  const pop = population(secret);
  const common = {
    JWT_SECRET: secret,
    MESSAGE_RATE_LIMIT: '1000000',
    MESSAGE_RATE_WINDOW_SECONDS: '1',
    LOGIN_LIMIT_PER_IP: '100000',
    ...EXTRA_ENV,
  };
  if (name === 'relay') {
    const relay = await startRelay();
    for (const d of pop.devices) d.token = d.deviceId;
    try {
      return await runLoad(name, [relay.url], pop, { relay: serverPid(relay.child) });
    } finally {
      await stop(relay.child);
    }
  }
  if (name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'pairchat-bench-'));
    const path = join(dir, 'bench.sqlite');
    const api = await startApi({ ...common, SQLITE_PATH: path });
    try {
      await seedSqlite(path, pop.devices);
      return await runLoad(name, [api.url], pop, { api: serverPid(api.child) });
    } finally {
      await stop(api.child);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const dbName = `pairchat_bench_${randomBytes(4).toString('hex')}`;
  const { createConnection } = await import('mysql2/promise');
  const admin = await createConnection(MARIADB_URL);
  await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const env = { ...common, DATABASE_URL: `${MARIADB_URL}/${dbName}`, REDIS_URL, REDIS_KEY_PREFIX: `${dbName}:` };
  const count = name === 'mariadb-3' ? 3 : 1;
  const nodes = [];
  const unpin = [pinService(systemPid('mariadbd') ?? systemPid('mysqld')), pinService(systemPid('redis-server'))];
  try {
    nodes.push(await startApi(env)); // migrates
    for (let i = 1; i < count; i++) nodes.push(await startApi(env));
    await seedMysql(env.DATABASE_URL, pop.devices);
    const servers = Object.fromEntries(nodes.map((n, i) => [`api${count > 1 ? i + 1 : ''}`, serverPid(n.child)]));
    // With 3 nodes, device i connects to node i % 3, so every pair (i, i+1) crosses nodes.
    return await runLoad(
      name,
      nodes.map((n) => n.url),
      pop,
      servers,
    );
  } finally {
    await Promise.all(nodes.map((n) => stop(n.child)));
    unpin.forEach((restore) => restore());
    await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await admin.end();
  }
}

// ---- report -------------------------------------------------------------------------------------
function markdown(all, meta) {
  const relaySat = Math.max(
    ...(all.relay ?? []).filter((r) => r.phase.startsWith('saturate')).map((r) => r.deliveredPerSecond),
    0,
  );
  const lines = [
    `# Realtime bench (${meta.date})`,
    '',
    `${meta.devices} devices (${meta.devices / 2} pairs, each side sending), ${meta.cpus} CPUs; servers (api, and for the MariaDB scenarios MariaDB and Redis) pinned to CPU ${serverCpu}, load client to CPU ${clientCpu}. MariaDB ${meta.mariadb}.`,
    `Node ${process.version}. Extra api env: ${JSON.stringify(meta.env)}. Throughput = messages delivered to and acked by the recipient per second; latency in ms (delivery: sender emit -> recipient receives; ack: sender emit -> durable ack). Before the phases every pair sends one unmeasured message each way (warm caches).`,
    `Load average when the run ${meta.loadAtStart ? `started: ${meta.loadAtStart}, ended: ${meta.loadAtEnd}` : 'ran: n/a'}.`,
    '',
    '| scenario | phase | payload | target/s | delivered/s | acked/s | delivery p50 | p95 | p99 | ack p50 | ack p99 | errors | not drained | server CPU ms/msg | DB CPU ms/msg | Redis CPU ms/msg | client CPU ms/msg | vs relay |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, results] of Object.entries(all)) {
    for (const r of results) {
      if (r.phase === 'connect') continue;
      const msgs = Math.max(1, r.delivered);
      const cpu = (keys) => {
        const total = Object.entries(r.processes)
          .filter(([k]) => keys.some((key) => k.startsWith(key)))
          .reduce((s, [, p]) => s + p.cpuSeconds, 0);
        return total ? ((total * 1000) / msgs).toFixed(3) : '-';
      };
      const ratio =
        relaySat && r.phase.startsWith('saturate') ? `${((r.deliveredPerSecond / relaySat) * 100).toFixed(0)}%` : '';
      lines.push(
        `| ${name} | ${r.phase.split('-')[0]} | ${r.size} B | ${r.targetRate ?? 'max'} | ${Math.round(r.deliveredPerSecond)} | ${Math.round(r.ackedPerSecond)} | ${r.deliveryMs.p50} | ${r.deliveryMs.p95} | ${r.deliveryMs.p99} | ${r.ackMs.p50} | ${r.ackMs.p99} | ${r.errors} | ${r.undrained ?? 0} | ${cpu(['api', 'relay'])} | ${cpu(['mariadb'])} | ${cpu(['redis'])} | ${cpu(['client'])} | ${ratio} |`,
      );
    }
  }
  lines.push(
    '',
    '| scenario | devices | connect s | connects/s | server RSS before → after | idle devices per GiB (server RSS growth) | idle devices per GiB (marginal: second half) |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [name, results] of Object.entries(all)) {
    const c = results.find((r) => r.phase === 'connect');
    if (!c) continue;
    const servers = Object.entries(c.processes).filter(([k]) => k.startsWith('api') || k === 'relay');
    const before = servers.reduce((s, [, p]) => s + p.rssBefore, 0);
    const after = servers.reduce((s, [, p]) => s + p.rss, 0);
    const perGiB = after > before ? Math.round((c.devices * 2 ** 30) / (after - before)) : '-';
    const half = Object.entries(c.secondHalfProcesses ?? {}).filter(([k]) => k.startsWith('api') || k === 'relay');
    const halfGrowth = half.reduce((s, [, p]) => s + p.rss - p.rssBefore, 0);
    const marginal = halfGrowth > 0 ? Math.round((c.secondHalf * 2 ** 30) / halfGrowth) : '-';
    lines.push(
      `| ${name} | ${c.devices} | ${c.seconds.toFixed(2)} | ${Math.round(c.connectsPerSecond)} | ${(before / 2 ** 20).toFixed(0)} MiB → ${(after / 2 ** 20).toFixed(0)} MiB | ${perGiB} | ${marginal} |`,
    );
  }
  return lines.join('\n') + '\n';
}

if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} is missing: build the api first (npm run bench does)`);
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadAtStart = loadAverage();
const all = {};
for (const name of SCENARIOS) {
  console.log(`scenario ${name} (${DEVICES} devices)`);
  all[name] = await scenario(name);
}
let mariadbVersion = 'n/a';
try {
  const { createConnection } = await import('mysql2/promise');
  const c = await createConnection(MARIADB_URL);
  const [[row]] = await c.query('SELECT @@version AS v, @@innodb_flush_log_at_trx_commit AS f');
  mariadbVersion = `${row.v} (innodb_flush_log_at_trx_commit=${row.f})`;
  await c.end();
} catch {}
const meta = {
  date: new Date().toISOString(),
  devices: DEVICES,
  cpus: cpus().length,
  mariadb: mariadbVersion,
  load,
  env: EXTRA_ENV,
  loadAtStart,
  loadAtEnd: loadAverage(),
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, `bench/results/${OUT}.json`), JSON.stringify({ meta, results: all }, null, 2));
const md = markdown(all, meta);
writeFileSync(join(root, `bench/results/${OUT}.md`), md);
console.log(`\n${md}`);
