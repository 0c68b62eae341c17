// Lua scripts live as .lua files beside the TypeScript that calls them. They are located
// from the caller's import.meta.url, so the same code finds them under shared/ when run from
// sources (vitest, tsx) and under dist/shared/ after the build copies them (copy-assets.mjs).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './redis-connection.js';

export interface LuaScriptDefinition {
  /** Command name registered on the client; unique per script. */
  name: string;
  /** File name relative to `baseUrl`. */
  file: string;
  /**
   * KEYS count when fixed; 'dynamic' when each call passes its own key list (the count then
   * travels as the first argument, which is how ioredis handles undeclared counts).
   */
  numberOfKeys: number | 'dynamic';
  readOnly?: boolean;
  /** Use the command's Buffer variant, for replies carrying binary values. */
  buffers?: boolean;
}

export type LuaCommand = (keys: readonly string[], args: readonly (string | number | Buffer)[]) => Promise<unknown>;

const sources = new Map<string, string>();

/** Reads (once per process) a script located relative to `baseUrl`, normally `import.meta.url`. */
export function readLuaScript(baseUrl: string | URL, file: string): string {
  const path = fileURLToPath(new URL(file, baseUrl));
  let source = sources.get(path);
  if (source === undefined) {
    source = readFileSync(path, 'utf8');
    sources.set(path, source);
  }
  return source;
}

const INCLUDE = /^--- @include "([^"]+)"[ \t]*$/gm;

/**
 * The script's source with every line `--- @include "<file>"` replaced by that file's text
 * (paths relative to the including file, each fragment once), the way BullMQ assembles its
 * scripts: Redis runs one self-contained source per script, and fragments shared by
 * several scripts (offset fencing, sums) are written once.
 */
export function expandLuaIncludes(baseUrl: string | URL, file: string, seen: Set<string> = new Set()): string {
  const url = new URL(file, baseUrl);
  seen.add(url.href);
  return readLuaScript(baseUrl, file).replace(INCLUDE, (_line, included: string) => {
    if (seen.has(new URL(included, url).href)) return `-- (${included} already included)`;
    return `-- begin ${included}\n${expandLuaIncludes(url, included, seen)}\n-- end ${included}`;
  });
}

/**
 * Registers the script with ioredis defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT,
 * also per node on Cluster) and returns a typed caller. On Cluster every key of one call must
 * hash to the same slot; the store guarantees it with the model's hash tag.
 */
export function defineLuaScript(client: RedisClient, baseUrl: string | URL, definition: LuaScriptDefinition): LuaCommand {
  const lua = expandLuaIncludes(baseUrl, definition.file);
  const fixedKeys = definition.numberOfKeys === 'dynamic' ? undefined : definition.numberOfKeys;
  client.defineCommand(definition.name, {
    lua,
    ...(fixedKeys !== undefined && { numberOfKeys: fixedKeys }),
    ...(definition.readOnly !== undefined && { readOnly: definition.readOnly }),
  });
  // defineCommand adds a method at run time that the ioredis types cannot know about. Keys and
  // arguments go in as arrays (ioredis flattens them one level) rather than spread, so a batch
  // of tens of thousands of arguments cannot overflow the call stack.
  type ScriptArgument = number | readonly (string | number | Buffer)[];
  const method = definition.buffers ? `${definition.name}Buffer` : definition.name;
  const command = (client as unknown as Record<string, (...args: ScriptArgument[]) => Promise<unknown>>)[method];
  if (command === undefined) throw new Error(`ioredis did not register Lua command ${method}`);
  return (keys, args) => {
    if (fixedKeys !== undefined) {
      if (keys.length !== fixedKeys) {
        throw new RangeError(`Lua command ${definition.name} takes ${fixedKeys} keys, got ${keys.length}`);
      }
      return command.call(client, keys, args);
    }
    return command.call(client, keys.length, keys, args);
  };
}
