// `s3://bucket/prefix` locations (the artifact store, an output target): parsed and checked
// here, with no Node or SDK import, so that config validation and the CLI refuse a malformed
// one before anything runs.
import { ValidationError } from './errors.js';

export interface S3Location {
  bucket: string;
  /** The key prefix, without leading or trailing slash; '' for the whole bucket. */
  prefix: string;
}

export const isS3Url = (value: string): boolean => /^s3:\/\//i.test(value);

/** Why `bucket` breaks S3's bucket naming rules, or undefined when it keeps them. */
function bucketProblem(bucket: string): string | undefined {
  if (bucket.length < 3 || bucket.length > 63) return 'must be 3 to 63 characters';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket))
    return 'must be lowercase letters, digits, "." and "-", starting and ending with a letter or digit';
  if (bucket.includes('..')) return 'must not hold two dots in a row';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return 'must not look like an IP address';
  return undefined;
}

/** What is wrong with an s3:// URL, or undefined when it is fine or not an s3:// URL. */
export function s3UrlProblem(value: string): string | undefined {
  if (!isS3Url(value)) return undefined;
  try {
    parseS3Url(value, 'url');
  } catch (err) {
    return (err as Error).message.replace(/^url: /, '');
  }
  return undefined;
}

/**
 * Parses `s3://<bucket>[/<prefix>]`. A malformed URL is a ValidationError that names `field`
 * and says what is expected.
 */
export function parseS3Url(url: string, field: string): S3Location {
  const fail = (why: string): never => {
    throw new ValidationError(`${field}: "${url}" ${why}; expected s3://<bucket>/<prefix>`);
  };
  const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(url);
  if (!match) return fail('is not an s3:// URL (the scheme must be lowercase "s3://")');
  const [, bucket, rest = ''] = match;
  if (!bucket) return fail('names no bucket');
  const problem = bucketProblem(bucket);
  if (problem) return fail(`has an invalid bucket name "${bucket}" (${problem})`);
  const prefix = rest.replace(/\/+$/, '');
  const control = [...prefix].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (/[?#\\]/.test(prefix) || control)
    return fail('has "?", "#", "\\" or a control character in its prefix');
  if (prefix !== '' && prefix.split('/').some((s) => s === '' || s === '.' || s === '..'))
    return fail('has an empty, "." or ".." folder in its prefix');
  return { bucket, prefix };
}

/** The URL of `key` (relative to the location's prefix) — for messages and model-pack paths. */
export function s3UrlOf(location: S3Location, key = ''): string {
  const path = [location.prefix, key].filter(Boolean).join('/');
  return `s3://${location.bucket}${path ? `/${path}` : ''}`;
}
