// The connection settings a process's environment gives, and listing and deleting past S3's
// page of a thousand keys, against a real S3-compatible server (moto).
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import { S3Bucket, s3SettingsFromEnv } from '../../../core/io/s3-bucket.js';
import { useS3Server } from '../../helpers/s3-server.js';

const s3 = useS3Server();

describe('S3 settings from the environment', () => {
  it('take an endpoint, default the region and path style for it, and leave AWS to the SDK', () => {
    expect(s3SettingsFromEnv({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' })).toEqual({
      endpoint: 'http://127.0.0.1:9000',
      endpointVariable: 'AWS_ENDPOINT_URL_S3',
      region: 'us-east-1',
      forcePathStyle: true,
    });
    expect(
      s3SettingsFromEnv({
        AWS_ENDPOINT_URL: 'https://minio.example:9000',
        AWS_REGION: 'eu-west-1',
        TAGFLOW_S3_FORCE_PATH_STYLE: 'false',
      }),
    ).toEqual({
      endpoint: 'https://minio.example:9000',
      endpointVariable: 'AWS_ENDPOINT_URL',
      region: 'eu-west-1',
      forcePathStyle: false,
    });
    // Plain AWS: the SDK finds the region (AWS_REGION, the profile) and uses virtual hosts.
    expect(s3SettingsFromEnv({})).toEqual({ region: undefined, forcePathStyle: false });
    expect(s3SettingsFromEnv({ AWS_DEFAULT_REGION: 'us-west-2' }).region).toBe('us-west-2');
  });

  it('refuse an endpoint that is not a URL and a path-style flag that is not a boolean', () => {
    expect(() => s3SettingsFromEnv({ AWS_ENDPOINT_URL_S3: 'minio:9000' })).toThrow(
      new ValidationError(
        'AWS_ENDPOINT_URL_S3: "minio:9000" is not an http:// or https:// URL of an S3 endpoint',
      ),
    );
    expect(() => s3SettingsFromEnv({ TAGFLOW_S3_FORCE_PATH_STYLE: 'yes' })).toThrow(
      /TAGFLOW_S3_FORCE_PATH_STYLE: expected true or false, got "yes"/,
    );
  });
});

describe('an S3 bucket', () => {
  it('lists and deletes more than one page of keys, under its prefix only', async () => {
    const name = await s3.server.createBucket();
    const bucket = new S3Bucket({ bucket: name, prefix: 'many' }, 'test');
    const keys = Array.from({ length: 1003 }, (_, i) => `k/${String(i).padStart(4, '0')}`);
    const queue = [...keys];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let k = queue.shift(); k; k = queue.shift()) await bucket.write(k, k);
      }),
    );
    await new S3Bucket({ bucket: name, prefix: '' }, 'test').write('many-other', 'x');
    expect((await bucket.list('')).map((o) => o.key)).toEqual(keys);
    expect(await bucket.list('k/', 2)).toHaveLength(2);
    await bucket.remove(keys.slice(0, 1002));
    expect((await bucket.list('')).map((o) => o.key)).toEqual(['k/1002']);
    expect((await new S3Bucket({ bucket: name, prefix: '' }, 'test').list('')).length).toBe(2);
    expect(await bucket.read('k/0000')).toBeUndefined();
    expect(await bucket.head('k/0000')).toBeUndefined();
    expect(await bucket.read('k/1002')).toEqual(Buffer.from('k/1002'));
  }, 60_000);
});
