/** The SQLite schema and prepared statements behind {@link SqliteStore}. */
import Database from 'better-sqlite3';

/** One stored change: the log row behind a watch event. */
export interface ChangeRow {
  rv: number;
  resource: string;
  key: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the change (for DELETED: as last stored, with the deletion's revision). */
  data: string;
  /** The object before the change (MODIFIED, DELETED). */
  prev: string | null;
}

/** A stored object's key and JSON text. */
export interface ObjectRow {
  key: string;
  data: string;
}

const schema = `
CREATE TABLE IF NOT EXISTS objects (
  resource TEXT NOT NULL,
  key TEXT NOT NULL,
  rv INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (resource, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
  rv INTEGER PRIMARY KEY,
  resource TEXT NOT NULL,
  key TEXT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  prev TEXT
);
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Opens (creating if needed) the database file with WAL journaling. */
export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  if (path !== ':memory:' && path !== '') {
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL survives a killed process (the OS keeps the WAL); only power loss can drop
    // the newest commits.
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -16000');
  db.pragma('temp_store = MEMORY');
  db.exec(schema);
  return db;
}

/** Creates the prepared statements once. */
export function prepareStatements(db: Database.Database) {
  return {
    get: db.prepare<[string, string], { data: string }>(
      'SELECT data FROM objects WHERE resource = ? AND key = ?',
    ),
    insert: db.prepare<[string, string, number, string]>(
      'INSERT INTO objects (resource, key, rv, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ),
    replace: db.prepare<[number, string, string, string]>(
      'UPDATE objects SET rv = ?, data = ? WHERE resource = ? AND key = ?',
    ),
    remove: db.prepare<[string, string]>('DELETE FROM objects WHERE resource = ? AND key = ?'),
    /** Objects of a resource with after < key < before, in key order. */
    range: db.prepare<[string, string, string], ObjectRow>(
      'SELECT key, data FROM objects WHERE resource = ? AND key > ? AND key < ? ORDER BY key',
    ),
    /** Objects of a resource with key > after, in key order. */
    rangeOpen: db.prepare<[string, string], ObjectRow>(
      'SELECT key, data FROM objects WHERE resource = ? AND key > ? ORDER BY key',
    ),
    countRange: db.prepare<[string, string, string], { n: number }>(
      'SELECT COUNT(*) AS n FROM objects WHERE resource = ? AND key > ? AND key < ?',
    ),
    countRangeOpen: db.prepare<[string, string], { n: number }>(
      'SELECT COUNT(*) AS n FROM objects WHERE resource = ? AND key > ?',
    ),
    addChange: db.prepare<[number, string, string, string, string, string | null]>(
      'INSERT INTO changes (rv, resource, key, type, data, prev) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    /** Changes of a resource after a revision, oldest first. */
    changesSince: db.prepare<[number, string], ChangeRow>(
      'SELECT rv, resource, key, type, data, prev FROM changes WHERE rv > ? AND resource = ? ORDER BY rv',
    ),
    /** Per key, the first change after a revision (its `prev` is the state at that revision). */
    firstChangesSince: db.prepare<
      [number, string],
      { key: string; type: string; prev: string | null; rv: number }
    >(
      'SELECT key, type, prev, MIN(rv) AS rv FROM changes WHERE rv > ? AND resource = ? GROUP BY key',
    ),
    compact: db.prepare<[number]>('DELETE FROM changes WHERE rv <= ?'),
    maxChangeRv: db.prepare<[], { rv: number | null }>('SELECT MAX(rv) AS rv FROM changes'),
    maxObjectRv: db.prepare<[], { rv: number | null }>('SELECT MAX(rv) AS rv FROM objects'),
    getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
    setMeta: db.prepare<[string, number]>(
      'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    ),
  };
}

/** The prepared statements. */
export type Statements = ReturnType<typeof prepareStatements>;
