/**
 * Aliases: other names for collections, as Qdrant 1.19 has them. A request
 * carries a list of actions (create, delete, rename) that are applied to a
 * copy, checked whole, written durably as one file (log/aliases-file.ts), and
 * only then swapped in: a request either changes every alias it names or
 * none, also across a crash, and no read sees a half-applied switch.
 */

import { type AliasMap, readAliases, writeAliases } from "../log/aliases-file.js";
import { EngineError, notFound, show, wrongInput } from "./errors.js";

/** One alias action, checked. */
export type AliasAction =
  | { type: "create"; collection: string; alias: string }
  | { type: "delete"; alias: string }
  | { type: "rename"; from: string; to: string };

/** What the aliases need to know of the collections. */
export interface CollectionNames {
  has(name: string): boolean;
}

function internal(message: string, cause: unknown): EngineError {
  return new EngineError("internal", `Service internal error: ${message}`, { cause });
}

/** The store's aliases, in memory and on disk. */
export class Aliases {
  private map: AliasMap;
  private readonly path: string;

  private constructor(path: string, map: AliasMap) {
    this.path = path;
    this.map = map;
  }

  /** Load the aliases of a data folder. @throws StoreError for a damaged aliases file. */
  static load(storePath: string): Aliases {
    return new Aliases(storePath, readAliases(storePath));
  }

  /** The collection an alias points to, or undefined when `name` is no alias. */
  target(name: string): string | undefined {
    return Object.hasOwn(this.map, name) ? this.map[name] : undefined;
  }

  /** Every alias with its collection, sorted by alias. */
  list(): { alias_name: string; collection_name: string }[] {
    return Object.keys(this.map).sort().map((a) => ({ alias_name: a, collection_name: this.map[a]! }));
  }

  /** The aliases of one collection (by its own name, as Qdrant: an alias has none). */
  of(collection: string): string[] {
    return Object.keys(this.map).sort().filter((a) => this.map[a] === collection);
  }

  /**
   * Apply actions all or nothing, in order, with Qdrant's checks: create
   * needs an existing collection and an alias name no collection has (an
   * existing alias of that name is re-pointed); delete of a missing alias is
   * a no-op; rename needs the old alias.
   * @throws EngineError: not found, exists (a collection has the alias name), internal when the disk refuses; nothing changed.
   */
  apply(actions: AliasAction[], collections: CollectionNames): void {
    const next: AliasMap = { ...this.map };
    actions.forEach((a, i) => {
      const at = `(at actions[${i}])`;
      if (a.type === "create") {
        if (!collections.has(a.collection)) throw notFound(`Collection \`${a.collection}\` doesn't exist! ${at}`);
        if (collections.has(a.alias)) throw new EngineError("exists", `Wrong input: Collection \`${a.alias}\` already exists! ${at}: an alias cannot take a collection's name`);
        next[a.alias] = a.collection;
      } else if (a.type === "delete") {
        delete next[a.alias];
      } else {
        if (!Object.hasOwn(next, a.from)) throw notFound(`Alias ${a.from} does not exists! ${at}`);
        if (collections.has(a.to)) throw new EngineError("exists", `Wrong input: Collection \`${a.to}\` already exists! ${at}: an alias cannot take a collection's name`);
        const target = next[a.from]!;
        delete next[a.from];
        next[a.to] = target;
      }
    });
    this.commit(next, "the aliases were not changed");
  }

  /** Drop the aliases of a collection being deleted (durably, before its folder goes). */
  dropCollection(collection: string): void {
    if (!Object.values(this.map).includes(collection)) return;
    const next: AliasMap = {};
    for (const [a, c] of Object.entries(this.map)) if (c !== collection) next[a] = c;
    this.commit(next, `collection \`${collection}\` was not deleted`);
  }

  private commit(next: AliasMap, what: string): void {
    try {
      writeAliases(this.path, next);
    } catch (e) {
      throw internal(`cannot write the store's aliases in ${this.path}: ${(e as Error).message}; ${what}. Free some space (or check the folder's permissions) and retry`, e);
    }
    this.map = next;
  }
}

/** Check an alias name as a collection name is checked where it enters. */
export function checkAliasName(name: unknown, where: string): string {
  if (typeof name !== "string" || name.length === 0 || name.length > 255) {
    throw wrongInput(`${where} must be a name of 1 to 255 characters, got ${show(name)}`);
  }
  return name;
}
