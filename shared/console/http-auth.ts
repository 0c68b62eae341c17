// The console's token check: `Authorization: Bearer <token>` or `?token=<token>` (EventSource
// cannot send headers). Compared in constant time over SHA-256 digests, so neither the content
// nor the length of the token leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The token the request carries (header first), or null. */
export function presentedToken(request: IncomingMessage, url: URL): string | null {
  const header = request.headers.authorization;
  const bearer = header ? /^Bearer\s+(.+)$/i.exec(header.trim())?.[1] : undefined;
  return bearer ?? url.searchParams.get('token');
}

/** A check bound to the configured token; with none, every request passes. */
export function tokenCheck(token: string | null): (request: IncomingMessage, url: URL) => boolean {
  if (token === null) return () => true;
  const expected = digest(token);
  return (request, url) => {
    const given = presentedToken(request, url);
    return given !== null && timingSafeEqual(digest(given), expected);
  };
}
