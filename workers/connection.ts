// Connection settings for a Temporal cluster, read from the environment so the same worker
// and CLI binaries run against the embedded dev server, a self-hosted cluster or Temporal
// Cloud:
//   TEMPORAL_ADDRESS              host:port of the frontend (unset: embedded dev server)
//   TEMPORAL_NAMESPACE            default "default"
//   TEMPORAL_API_KEY              API-key auth (Temporal Cloud); implies TLS
//   TEMPORAL_TLS                  "true" to use TLS with the system's CAs
//   TEMPORAL_TLS_CA               PEM file of the server CA (self-hosted with a private CA)
//   TEMPORAL_TLS_CERT / _KEY      PEM files of the client certificate and key (mTLS)
//   TEMPORAL_TLS_SERVER_NAME      SNI / certificate name override
import { readFileSync } from 'node:fs';
import { ValidationError } from '../core/errors.js';

export interface TemporalConnectionSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
}

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ValidationError(
      `${variable}=${path}: cannot read the PEM file (${(err as Error).message})`,
    );
  }
}

/** Settings from the environment; undefined when TEMPORAL_ADDRESS is unset (embedded mode). */
export function connectionSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): TemporalConnectionSettings | undefined {
  const address = env.TEMPORAL_ADDRESS;
  if (!address) return undefined;
  const settings: TemporalConnectionSettings = {
    address,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
  };
  const cert = env.TEMPORAL_TLS_CERT;
  const key = env.TEMPORAL_TLS_KEY;
  if (Boolean(cert) !== Boolean(key)) {
    throw new ValidationError(
      'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (client certificate and its key)',
    );
  }
  // A typo here must not quietly mean "no TLS".
  const tlsFlag = (env.TEMPORAL_TLS ?? '').trim().toLowerCase();
  if (!['', 'true', 'false'].includes(tlsFlag)) {
    throw new ValidationError(`TEMPORAL_TLS=${env.TEMPORAL_TLS}: expected "true" or "false"`);
  }
  const wantsTls =
    tlsFlag === 'true' || Boolean(env.TEMPORAL_API_KEY || env.TEMPORAL_TLS_CA || cert);
  if (wantsTls) {
    settings.tls = {
      serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || undefined,
      serverRootCACertificate: env.TEMPORAL_TLS_CA
        ? readPem('TEMPORAL_TLS_CA', env.TEMPORAL_TLS_CA)
        : undefined,
      clientCertPair:
        cert && key
          ? { crt: readPem('TEMPORAL_TLS_CERT', cert), key: readPem('TEMPORAL_TLS_KEY', key) }
          : undefined,
    };
  }
  if (env.TEMPORAL_API_KEY) settings.apiKey = env.TEMPORAL_API_KEY;
  return settings;
}
