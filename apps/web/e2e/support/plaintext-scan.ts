/**
 * Looks for plaintext where it must never be: every table, row and column of a SQLite database
 * (BLOBs as bytes and as text, text as text), the raw database files (free pages and the WAL keep
 * deleted rows), and a server log. Each needle is also searched base64-encoded at all three byte
 * alignments, since the api stores and logs binary fields as base64.
 * @module
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';

export interface ScanHit {
  needle: string;
  where: string;
  encoding: 'utf8' | 'base64' | 'base64url';
}

/** Minimum needle length: a shorter one would match ciphertext by chance. */
const MIN_NEEDLE_BYTES = 8;

interface Pattern {
  needle: string;
  encoding: ScanHit['encoding'];
  text: string;
  bytes: Buffer;
}

/** The forms to look for: the UTF-8 text, and its base64 / base64url runs at offsets 0, 1 and 2. */
export function patternsFor(needle: string): Pattern[] {
  const utf8 = Buffer.from(needle, 'utf8');
  if (utf8.length < MIN_NEEDLE_BYTES)
    throw new RangeError(`needle "${needle}" is shorter than ${MIN_NEEDLE_BYTES} bytes`);
  const patterns: Pattern[] = [{ needle, encoding: 'utf8', text: needle, bytes: utf8 }];
  for (let shift = 0; shift < 3; shift++) {
    // A window of whole 3-byte groups starting at `shift` encodes to the same characters wherever
    // the needle sits, as long as its position + shift is a multiple of 3 in the encoded data.
    const usable = Math.floor((utf8.length - shift) / 3) * 3;
    if (usable < 6) continue;
    const window = utf8.subarray(shift, shift + usable);
    for (const encoding of ['base64', 'base64url'] as const) {
      const text = window.toString(encoding);
      patterns.push({ needle, encoding, text, bytes: Buffer.from(text, 'latin1') });
    }
  }
  return patterns;
}

function matchBytes(data: Buffer, patterns: Pattern[], where: string, hits: ScanHit[]): void {
  for (const pattern of patterns) {
    if (data.includes(pattern.bytes)) hits.push({ needle: pattern.needle, where, encoding: pattern.encoding });
  }
}

function matchText(text: string, patterns: Pattern[], where: string, hits: ScanHit[]): void {
  for (const pattern of patterns) {
    if (text.includes(pattern.text)) hits.push({ needle: pattern.needle, where, encoding: pattern.encoding });
  }
}

/** How much a database scan looked at. */
export interface ScanStats {
  tables: number;
  rows: number;
  cells: number;
}

/** Every needle found in any cell of any table. Opens the database read-only. */
export function scanDatabase(
  path: string,
  needles: readonly string[],
  stats: ScanStats = { tables: 0, rows: 0, cells: 0 },
): ScanHit[] {
  const patterns = needles.flatMap(patternsFor);
  const hits: ScanHit[] = [];
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((row) => (row as { name: string }).name);
    stats.tables = tables.length;
    for (const table of tables) {
      const statement = db.prepare(`SELECT * FROM "${table.replaceAll('"', '""')}"`).raw(true);
      const columns = statement.columns().map((column) => column.name);
      let index = 0;
      for (const row of statement.iterate() as Iterable<unknown[]>) {
        stats.rows++;
        row.forEach((value, column) => {
          stats.cells++;
          const where = `${table}.${columns[column]} (row ${index})`;
          if (value === null || value === undefined) return;
          if (Buffer.isBuffer(value)) {
            matchBytes(value, patterns, where, hits);
            matchText(value.toString('utf8'), patterns, `${where} as text`, hits);
            matchText(value.toString('utf16le'), patterns, `${where} as utf-16`, hits);
          } else {
            matchText(String(value), patterns, where, hits);
          }
        });
        index++;
      }
    }
  } finally {
    db.close();
  }
  return hits;
}

/** Every needle found in the database file and its -wal / -journal companions, byte for byte. */
export function scanDatabaseFiles(path: string, needles: readonly string[]): ScanHit[] {
  const patterns = needles.flatMap(patternsFor);
  const hits: ScanHit[] = [];
  for (const file of [path, `${path}-wal`, `${path}-journal`]) {
    if (existsSync(file)) matchBytes(readFileSync(file), patterns, file, hits);
  }
  return hits;
}

/** Every needle found in a log. */
export function scanLog(log: string, needles: readonly string[], name = 'log'): ScanHit[] {
  const patterns = needles.flatMap(patternsFor);
  const hits: ScanHit[] = [];
  matchText(log, patterns, name, hits);
  return hits;
}
