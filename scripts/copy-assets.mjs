// tsc emits only JavaScript; Lua scripts live beside their callers and schemas at the
// root, so the build copies both into dist/ keeping the same relative layout.
import { cpSync, existsSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';

function copyLua(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyLua(path);
    else if (name.endsWith('.lua')) {
      mkdirSync(dirname(join('dist', path)), { recursive: true });
      cpSync(path, join('dist', path));
    }
  }
}
copyLua('shared');
copyLua('services');
cpSync('schemas', join('dist', 'schemas'), { recursive: true });
