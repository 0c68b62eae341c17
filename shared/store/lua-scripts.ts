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
}

export type LuaCommand = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

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

/**
 * Registers the script with ioredis defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT,
 * also per node on Cluster) and returns a typed caller. On Cluster every key of one call must
 * hash to the same slot; the store guarantees it with the model's hash tag.
 */
export function defineLuaScript(client: RedisClient, baseUrl: string | URL, definition: LuaScriptDefinition): LuaCommand {
  const lua = readLuaScript(baseUrl, definition.file);
  const fixedKeys = definition.numberOfKeys === 'dynamic' ? undefined : definition.numberOfKeys;
  client.defineCommand(definition.name, {
    lua,
    ...(fixedKeys !== undefined && { numberOfKeys: fixedKeys }),
    ...(definition.readOnly !== undefined && { readOnly: definition.readOnly }),
  });
  // defineCommand adds a method at run time that the ioredis types cannot know about. Keys and
  // arguments go in as arrays (ioredis flattens them one level) rather than spread, so a batch
  // of tens of thousands of arguments cannot overflow the call stack.
  type ScriptArgument = number | readonly (string | number)[];
  const command = (client as unknown as Record<string, (...args: ScriptArgument[]) => Promise<unknown>>)[definition.name];
  if (command === undefined) throw new Error(`ioredis did not register Lua command ${definition.name}`);
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
