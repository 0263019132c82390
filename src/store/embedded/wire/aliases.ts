/**
 * The alias endpoints' bodies and answers: POST /collections/aliases with
 * `{"actions": [{"create_alias": {...}} | {"delete_alias": {...}} | {"rename_alias": {...}}]}`,
 * GET /aliases and GET /collections/{name}/aliases (Qdrant 1.19's shapes).
 */

import { type AliasAction, checkAliasName } from "../engine/aliases.js";
import { show } from "../engine/errors.js";
import type { Engine } from "../engine/store.js";
import { badRequest } from "./errors.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const FORMS = `{"create_alias": {"collection_name", "alias_name"}}, {"delete_alias": {"alias_name"}} or {"rename_alias": {"old_alias_name", "new_alias_name"}}`;

function names(v: unknown, keys: string[], where: string): string[] {
  if (!isObject(v)) throw badRequest(`${where} must be an object with ${keys.map((k) => `"${k}"`).join(", ")}, got ${show(v)}`);
  const extra = Object.keys(v).find((k) => !keys.includes(k));
  if (extra !== undefined) throw badRequest(`${where} has an unknown field "${extra}"; it takes ${keys.map((k) => `"${k}"`).join(", ")}`);
  return keys.map((k) => checkAliasName(v[k], `${where}.${k}`));
}

/** Parse the body of POST /collections/aliases into checked actions. @throws HttpError 400 naming the bad action. */
export function parseAliasActions(body: Record<string, unknown>): AliasAction[] {
  const a = body.actions;
  if (!Array.isArray(a)) throw badRequest(`the body must hold "actions": [...] with ${FORMS}, got ${show(a)}`);
  return a.map((act, i): AliasAction => {
    const where = `actions[${i}]`;
    if (!isObject(act) || Object.keys(act).length !== 1) throw badRequest(`${where} must be one of ${FORMS}, got ${show(act)}`);
    if ("create_alias" in act) {
      const [collection, alias] = names(act.create_alias, ["collection_name", "alias_name"], `${where}.create_alias`);
      return { type: "create", collection: collection!, alias: alias! };
    }
    if ("delete_alias" in act) return { type: "delete", alias: names(act.delete_alias, ["alias_name"], `${where}.delete_alias`)[0]! };
    if ("rename_alias" in act) {
      const [from, to] = names(act.rename_alias, ["old_alias_name", "new_alias_name"], `${where}.rename_alias`);
      return { type: "rename", from: from!, to: to! };
    }
    throw badRequest(`${where} must be one of ${FORMS}, got ${show(act)}`);
  });
}

/** POST /collections/aliases: apply the actions atomically; true as Qdrant answers. */
export function updateAliases(store: Engine, body: Record<string, unknown>): boolean {
  store.updateAliases(parseAliasActions(body));
  return true;
}

/** GET /aliases. */
export function listAliases(store: Engine): { aliases: { alias_name: string; collection_name: string }[] } {
  return { aliases: store.listAliases() };
}

/** GET /collections/{name}/aliases: the aliases of that collection (by its own name; none for an unknown name, as Qdrant). */
export function collectionAliases(store: Engine, name: string): { aliases: { alias_name: string; collection_name: string }[] } {
  return { aliases: store.aliasesOf(name).map((alias_name) => ({ alias_name, collection_name: name })) };
}
