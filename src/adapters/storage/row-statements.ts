/**
 * Many-row statements of a few fixed sizes (every size up to 16 rows, then powers of two up to 256),
 * each compiled once by Kysely and then run with new parameters: compiling a many-row insert costs
 * more than running it, and a statement whose text repeats is prepared once (statement-cache.ts).
 */
import type { CompiledQuery, Kysely } from 'kysely';

const EXACT_CHUNK = 16;
const MAX_CHUNK = 256;

/** The size of the next statement for `remaining` rows. */
export function chunkSize(remaining: number): number {
  if (remaining <= EXACT_CHUNK) return remaining;
  return Math.min(MAX_CHUNK, 2 ** Math.floor(Math.log2(remaining)));
}

/**
 * A statement over `size` rows of fixed columns, compiled once per size from a template whose values
 * are distinct, then bound row after row, column after column. The first compile of each size checks
 * that Kysely binds parameters in exactly that order.
 */
export class RowStatements<Row extends object, Result> {
  readonly #compiled = new Map<number, CompiledQuery<Result>>();

  constructor(
    private readonly what: string,
    private readonly columns: readonly (keyof Row & string)[],
    private readonly compile: (rows: Row[]) => CompiledQuery<Result>,
  ) {}

  bind(rows: readonly Row[], offset: number, size: number): CompiledQuery<Result> {
    const parameters: unknown[] = [];
    for (let i = offset; i < offset + size; i++) {
      const row = rows[i]!;
      for (const column of this.columns) parameters.push(row[column]);
    }
    return { ...this.#statement(size), parameters };
  }

  /** Runs the statement over every row, in statements of the fixed sizes. */
  async run(db: Pick<Kysely<never>, 'executeQuery'>, rows: readonly Row[]): Promise<void> {
    for (let offset = 0; offset < rows.length; ) {
      const size = chunkSize(rows.length - offset);
      await db.executeQuery(this.bind(rows, offset, size));
      offset += size;
    }
  }

  #statement(size: number): CompiledQuery<Result> {
    let compiled = this.#compiled.get(size);
    if (!compiled) {
      const template = Array.from({ length: size }, (_, r) => Object.fromEntries(this.columns.map((c, i) => [c, `${r}:${i}`])) as Row);
      compiled = this.compile(template);
      const expected = template.flatMap((row) => this.columns.map((c) => row[c]));
      if (compiled.parameters.length !== expected.length || compiled.parameters.some((p, i) => p !== expected[i])) {
        throw new Error(`the compiled ${this.what} does not bind its parameters row by row in column order`);
      }
      this.#compiled.set(size, compiled);
    }
    return compiled;
  }
}
