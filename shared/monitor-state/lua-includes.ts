// Lua scripts of the monitor state share fragments (offset idempotence, counter sums,
// framing) kept as .lua files. Redis runs one self-contained source per script, so a line
// `--- @include "<file>"` is replaced by that file's text when the script is loaded, the
// way BullMQ assembles its scripts. Files are read through shared/store's readLuaScript
// (located from the caller's import.meta.url, cached per process).
import type { RedisClient } from '../store/redis-connection.js';
import { readLuaScript } from '../store/lua-scripts.js';
import type { LuaScriptDefinition } from '../store/lua-scripts.js';

export type ScriptCommand = (keys: readonly string[], args: readonly (string | number | Buffer)[]) => Promise<unknown>;

const INCLUDE = /^--- @include "([^"]+)"[ \t]*$/gm;

/** The script's source with every include expanded (recursively, each fragment once). */
export function expandLuaIncludes(baseUrl: string | URL, file: string, seen: Set<string> = new Set()): string {
  seen.add(file);
  return readLuaScript(baseUrl, file).replace(INCLUDE, (_line, included: string) => {
    if (seen.has(included)) return `-- (${included} already included)`;
    return `-- begin ${included}\n${expandLuaIncludes(baseUrl, included, seen)}\n-- end ${included}`;
  });
}

/**
 * Like shared/store's defineLuaScript (ioredis defineCommand: EVALSHA with EVAL fallback,
 * per node on Cluster), for a script with includes, with KEYS always passed per call.
 * `buffers` selects the command's Buffer variant, for replies carrying binary values.
 */
export function defineLuaScriptWithIncludes(
  client: RedisClient,
  baseUrl: string | URL,
  definition: Omit<LuaScriptDefinition, 'numberOfKeys'> & { buffers?: boolean },
): ScriptCommand {
  client.defineCommand(definition.name, {
    lua: expandLuaIncludes(baseUrl, definition.file),
    ...(definition.readOnly !== undefined && { readOnly: definition.readOnly }),
  });
  type ScriptArgument = number | readonly (string | number | Buffer)[];
  const method = definition.buffers ? `${definition.name}Buffer` : definition.name;
  const command = (client as unknown as Record<string, (...args: ScriptArgument[]) => Promise<unknown>>)[method];
  if (command === undefined) throw new Error(`ioredis did not register Lua command ${method}`);
  // Arrays, not spread arguments: ioredis flattens one level, and a large batch cannot
  // overflow the call stack.
  return (keys, args) => command.call(client, keys.length, keys, args);
}
