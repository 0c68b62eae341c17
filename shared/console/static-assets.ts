// The dashboard's files: `/` is the page directory's index.html, `/assets/<name>` a file of the
// page directory or one of uPlot's two dist files (served from node_modules, no CDN). Names are
// looked up, never joined from the URL: only a plain file name is accepted, and the resolved
// path must stay inside its directory, so `..`, encoded slashes and absolute paths get a 404.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** services/console/page, from shared/console in the sources and in dist/ alike. */
export const DEFAULT_PAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../services/console/page');

const UPLOT_FILES = new Set(['uPlot.iife.min.js', 'uPlot.min.css']);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** Served at `/` when the page directory has no index.html (a checkout without the page built in). */
const MISSING_PAGE = `<!doctype html><meta charset="utf-8"><title>driftwatch console</title>
<p>The dashboard page (services/console/page/index.html) is not installed; the API answers at <a href="api/models">/api/models</a>.</p>
`;

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

function uplotDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
}

/** `dir/name` when name is a plain file name that resolves inside dir; null otherwise. */
export function safeJoin(dir: string, name: string): string | null {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..')) return null;
  const root = resolve(dir);
  const path = resolve(root, name);
  return path.startsWith(root + sep) ? path : null;
}

export class StaticAssets {
  private readonly uplot: string;

  constructor(private readonly pageDir: string = DEFAULT_PAGE_DIR) {
    this.uplot = uplotDir();
  }

  /** The file for a URL path, or null (404) when there is none or the path is not allowed. */
  async lookup(pathname: string): Promise<StaticFile | null> {
    let path: string | null = null;
    if (pathname === '/' || pathname === '/index.html') path = safeJoin(this.pageDir, 'index.html');
    else if (pathname.startsWith('/assets/')) {
      const name = pathname.slice('/assets/'.length);
      path = UPLOT_FILES.has(name) ? join(this.uplot, name) : safeJoin(this.pageDir, name);
    }
    if (path === null) return null;
    const index = pathname === '/' || pathname === '/index.html';
    try {
      return { body: await readFile(path), contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && index) return { body: Buffer.from(MISSING_PAGE), contentType: CONTENT_TYPES['.html']! };
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return null;
      throw error;
    }
  }
}
