// tsc emits only JavaScript; Lua scripts live beside their callers, schemas at the root and
// the console's page in services/console/page, so the build copies them into dist/ keeping
// the same relative layout.
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
// The console's dashboard page (HTML, JS, CSS), served from dist/services/console/page.
if (existsSync(join('services', 'console', 'page'))) {
  cpSync(join('services', 'console', 'page'), join('dist', 'services', 'console', 'page'), { recursive: true });
}
