import { FindOperator, QueryFailedError } from 'typeorm';

type Row = Record<string, unknown>;
type Where = Row | Row[];
type EntityClass = abstract new (...args: never[]) => unknown;

function matchesValue(actual: unknown, expected: unknown): boolean {
  if (expected instanceof FindOperator) {
    const value = expected.value as unknown;
    switch (expected.type) {
      case 'isNull':
        return actual === null || actual === undefined;
      case 'in':
        return (value as unknown[]).includes(actual);
      case 'lessThan':
        return (actual as number | Date) < (value as number | Date);
      case 'moreThan':
        return (actual as number | Date) > (value as number | Date);
      default:
        throw new Error(`fake repository: unsupported operator ${expected.type}`);
    }
  }
  if (actual instanceof Date && expected instanceof Date) return actual.getTime() === expected.getTime();
  return actual === expected;
}

function matches(row: Row, where: Where | undefined): boolean {
  if (!where) return true;
  if (Array.isArray(where)) return where.some((w) => matches(row, w));
  return Object.entries(where).every(([key, expected]) => matchesValue(row[key], expected));
}

/**
 * A TypeORM Repository stand-in for unit specs: equality, IsNull, In, LessThan and MoreThan filters, OR arrays,
 * ordering, unique keys (violations throw like SQLite does) and a transaction that runs in place.
 * Rows are copied on the way in and out, as a database would.
 */
export class InMemoryRepository<T extends object> {
  readonly rows: T[] = [];
  readonly manager: FakeEntityManager;

  constructor(
    private readonly uniqueKeys: (keyof T)[][] = [],
    manager?: FakeEntityManager,
  ) {
    this.manager = manager ?? new FakeEntityManager();
  }

  create(values: Partial<T>): T {
    return { ...values } as T;
  }

  async insert(values: Partial<T> | Partial<T>[]): Promise<{ identifiers: unknown[] }> {
    const list = Array.isArray(values) ? values : [values];
    for (const value of list) {
      for (const key of this.uniqueKeys) {
        if (this.rows.some((row) => key.every((k) => (row as T)[k] === (value as T)[k]))) {
          throw new QueryFailedError(
            'INSERT',
            [],
            Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }),
          );
        }
      }
      this.rows.push({ ...value } as T);
    }
    return { identifiers: list.map((v) => (v as Row).id) };
  }

  async findOneBy(where: Where): Promise<T | null> {
    const row = this.rows.find((r) => matches(r as Row, where));
    return row ? { ...row } : null;
  }

  async findBy(where: Where): Promise<T[]> {
    return this.rows.filter((r) => matches(r as Row, where)).map((r) => ({ ...r }));
  }

  async find(options: { where?: Where; order?: Record<string, 'ASC' | 'DESC'> } = {}): Promise<T[]> {
    const found = await this.findBy(options.where ?? {});
    const order = Object.entries(options.order ?? {});
    return found.sort((a, b) => {
      for (const [key, direction] of order) {
        const [x, y] = [(a as Row)[key] as number | string | Date, (b as Row)[key] as number | string | Date];
        if (x < y) return direction === 'ASC' ? -1 : 1;
        if (x > y) return direction === 'ASC' ? 1 : -1;
      }
      return 0;
    });
  }

  async existsBy(where: Where): Promise<boolean> {
    return this.rows.some((r) => matches(r as Row, where));
  }

  async countBy(where: Where): Promise<number> {
    return this.rows.filter((r) => matches(r as Row, where)).length;
  }

  async update(where: Where, patch: Partial<T>): Promise<{ affected: number }> {
    const hits = this.rows.filter((r) => matches(r as Row, where));
    hits.forEach((row) => Object.assign(row, patch));
    return { affected: hits.length };
  }

  async delete(where: Where): Promise<{ affected: number }> {
    const keep = this.rows.filter((r) => !matches(r as Row, where));
    const affected = this.rows.length - keep.length;
    this.rows.splice(0, this.rows.length, ...keep);
    return { affected };
  }
}

/** The EntityManager surface the services use inside transactions, routed to the fakes by entity. */
export class FakeEntityManager {
  private readonly repositories = new Map<EntityClass, InMemoryRepository<object>>();

  register<T extends object>(entity: EntityClass, repository: InMemoryRepository<T>): InMemoryRepository<T> {
    this.repositories.set(entity, repository as unknown as InMemoryRepository<object>);
    return repository;
  }

  async transaction<R>(work: (manager: FakeEntityManager) => Promise<R>): Promise<R> {
    return work(this);
  }

  create(entity: EntityClass, values: object) {
    return this.get(entity).create(values);
  }

  insert(entity: EntityClass, values: object) {
    return this.get(entity).insert(values);
  }

  findOneBy(entity: EntityClass, where: Where) {
    return this.get(entity).findOneBy(where);
  }

  update(entity: EntityClass, where: Where, patch: object) {
    return this.get(entity).update(where, patch);
  }

  delete(entity: EntityClass, where: Where) {
    return this.get(entity).delete(where);
  }

  private get(entity: EntityClass): InMemoryRepository<object> {
    const repository = this.repositories.get(entity);
    if (!repository) throw new Error(`fake entity manager: no repository for ${entity.name}`);
    return repository;
  }
}

/** One manager shared by several fake repositories, as one DataSource would be. */
export function fakeRepositories() {
  const manager = new FakeEntityManager();
  return {
    manager,
    repository<T extends object>(entity: EntityClass, uniqueKeys: (keyof T)[][] = []): InMemoryRepository<T> {
      return manager.register(entity, new InMemoryRepository<T>(uniqueKeys, manager));
    },
  };
}
