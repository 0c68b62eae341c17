// A TCP server that speaks just enough of the Kafka protocol to refuse a SASL login the way a
// broker does: ApiVersions, SaslHandshake (PLAIN, SCRAM-SHA-256/512 enabled), then
// SaslAuthenticate answered with SASL_AUTHENTICATION_FAILED (58). For unit tests, which run
// with nothing else started (test/unit/bus/security-options.test.ts): the client's real error
// path in milliseconds, without a JVM. It records every byte received, so a test can also
// confirm the password was really sent (and so could have leaked). A real SASL broker for
// integration tests: test/support/sasl-kafka.ts.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface FakeSaslBroker {
  address: string;
  /** Everything clients sent, concatenated. */
  received(): Buffer;
  close(): Promise<void>;
}

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const METADATA = 3;
const SASL_AUTHENTICATION_FAILED = 58;

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function string(text: string): Buffer {
  return Buffer.concat([int16(Buffer.byteLength(text)), Buffer.from(text)]);
}

function responseBody(apiKey: number, version: number): Buffer {
  switch (apiKey) {
    case API_VERSIONS: {
      const apis = [
        [API_VERSIONS, 0, 2],
        [SASL_HANDSHAKE, 0, 1],
        [SASL_AUTHENTICATE, 0, 1],
        [METADATA, 0, 5],
      ];
      const parts = [int16(0), int32(apis.length), ...apis.flatMap(([key, min, max]) => [int16(key!), int16(min!), int16(max!)])];
      if (version >= 1) parts.push(int32(0));
      return Buffer.concat(parts);
    }
    case SASL_HANDSHAKE: {
      const mechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
      return Buffer.concat([int16(0), int32(mechanisms.length), ...mechanisms.map(string)]);
    }
    case SASL_AUTHENTICATE: {
      const parts = [int16(SASL_AUTHENTICATION_FAILED), string('Authentication failed: Invalid username or password'), int32(0)];
      if (version >= 1) parts.push(Buffer.alloc(8));
      return Buffer.concat(parts);
    }
    default:
      // Nothing else is reached before authentication; an unknown request ends the connection.
      return Buffer.alloc(0);
  }
}

export async function startFakeSaslBroker(): Promise<FakeSaslBroker> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        const request = pending.subarray(4, 4 + size);
        pending = pending.subarray(4 + size);
        const apiKey = request.readInt16BE(0);
        const version = request.readInt16BE(2);
        const correlationId = request.readInt32BE(4);
        const body = responseBody(apiKey, version);
        if (body.length === 0) {
          socket.destroy();
          return;
        }
        socket.write(Buffer.concat([int32(4 + body.length), int32(correlationId), body]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    received: () => Buffer.concat(chunks),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
