import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { connectionSettingsFromEnv } from '../../workers/connection.js';
import { tempDir } from '../helpers/pipeline.js';

const dir = tempDir('connection');
const pem = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('connectionSettingsFromEnv', () => {
  it('is undefined without TEMPORAL_ADDRESS (embedded mode)', () => {
    expect(connectionSettingsFromEnv({})).toBeUndefined();
    expect(connectionSettingsFromEnv({ TEMPORAL_ADDRESS: '', TEMPORAL_TLS: 'true' })).toBe(
      undefined,
    );
  });

  it('connects in plain text to the default namespace when only an address is set', () => {
    expect(connectionSettingsFromEnv({ TEMPORAL_ADDRESS: 'temporal:7233' })).toEqual({
      address: 'temporal:7233',
      namespace: 'default',
    });
    expect(
      connectionSettingsFromEnv({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_NAMESPACE: 'prod' })?.namespace,
    ).toBe('prod');
  });

  it('uses TLS with the system CAs for TEMPORAL_TLS=true, and not for false', () => {
    const on = connectionSettingsFromEnv({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_TLS: 'true' });
    expect(on?.tls).toEqual({
      serverNameOverride: undefined,
      serverRootCACertificate: undefined,
      clientCertPair: undefined,
    });
    expect(
      connectionSettingsFromEnv({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_TLS: 'false' })?.tls,
    ).toBeUndefined();
  });

  it('implies TLS for an API key (Temporal Cloud) and passes the key on', () => {
    const settings = connectionSettingsFromEnv({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'secret-key',
      TEMPORAL_TLS_SERVER_NAME: 'ns.acct.tmprl.cloud',
    });
    expect(settings?.apiKey).toBe('secret-key');
    expect(settings?.tls?.serverNameOverride).toBe('ns.acct.tmprl.cloud');
  });

  it('reads the CA and the client certificate pair from their PEM files (mTLS)', () => {
    const settings = connectionSettingsFromEnv({
      TEMPORAL_ADDRESS: 'x:1',
      TEMPORAL_TLS_CA: pem('ca.pem', 'CA'),
      TEMPORAL_TLS_CERT: pem('client.pem', 'CERT'),
      TEMPORAL_TLS_KEY: pem('client.key', 'KEY'),
    });
    expect(settings?.tls?.serverRootCACertificate?.toString()).toBe('CA');
    expect(settings?.tls?.clientCertPair?.crt.toString()).toBe('CERT');
    expect(settings?.tls?.clientCertPair?.key.toString()).toBe('KEY');
    expect(settings?.apiKey).toBeUndefined();
  });

  it('refuses a certificate without its key, naming both variables', () => {
    expect(() =>
      connectionSettingsFromEnv({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_TLS_CERT: pem('c.pem', 'C') }),
    ).toThrow(/TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together/);
    expect(() =>
      connectionSettingsFromEnv({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_TLS_KEY: pem('k.pem', 'K') }),
    ).toThrow(ValidationError);
  });

  it('names the variable and the path of a PEM file it cannot read', () => {
    const missing = join(dir, 'nope.pem');
    expect(() =>
      connectionSettingsFromEnv({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_TLS_CA: missing }),
    ).toThrow(new RegExp(`TEMPORAL_TLS_CA=${missing}: cannot read the PEM file`));
  });

  it('refuses a TEMPORAL_TLS value that is neither true nor false', () => {
    expect(() =>
      connectionSettingsFromEnv({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_TLS: 'yes' }),
    ).toThrow(/TEMPORAL_TLS=yes: expected "true" or "false"/);
    expect(
      connectionSettingsFromEnv({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_TLS: 'TRUE' })?.tls,
    ).toBeDefined();
  });
});
