import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.js';
import { isS3Url, parseS3Url, s3UrlOf, s3UrlProblem } from '../../core/s3-url.js';

describe('s3:// locations', () => {
  it('parse into a bucket and a prefix without slashes at its ends', () => {
    expect(parseS3Url('s3://my-bucket', 'artifacts')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseS3Url('s3://my.bucket-2/team/artifacts/', 'artifacts')).toEqual({
      bucket: 'my.bucket-2',
      prefix: 'team/artifacts',
    });
    expect(s3UrlOf({ bucket: 'b12', prefix: 'p' }, 'runs/r/model')).toBe('s3://b12/p/runs/r/model');
    expect(s3UrlOf({ bucket: 'b12', prefix: '' })).toBe('s3://b12');
    expect(isS3Url('S3://x')).toBe(true);
    expect(isS3Url('/data/s3://x')).toBe(false);
  });

  it.each([
    ['s3://', /names no bucket/],
    ['s3:///prefix', /names no bucket/],
    ['S3://bucket/x', /the scheme must be lowercase/],
    ['s3://ab/x', /invalid bucket name "ab" \(must be 3 to 63 characters\)/],
    ['s3://My_Bucket/x', /invalid bucket name "My_Bucket" \(must be lowercase letters/],
    ['s3://my..bucket', /two dots in a row/],
    ['s3://192.168.1.10', /must not look like an IP address/],
    ['s3://bucket//x', /an empty, "\." or "\.\." folder/],
    ['s3://bucket/a/../b', /an empty, "\." or "\.\." folder/],
    ['s3://bucket/a?versionId=1', /has "\?", "#", ".*" or a control character in its prefix/],
  ])('refuses %s, naming the field and what is expected', (url, why) => {
    let error: unknown;
    try {
      parseS3Url(url, 'output.target');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(why);
    expect((error as Error).message).toMatch(
      /^output\.target: ".*" .*; expected s3:\/\/<bucket>\/<prefix>$/,
    );
  });

  it('says what is wrong with an s3:// URL, and nothing for a fine one or another scheme', () => {
    expect(s3UrlProblem('s3://')).toMatch(/bucket/);
    expect(s3UrlProblem('s3://Bad_Bucket/x')).toMatch(/bucket/);
    expect(s3UrlProblem('s3://tagflow-runs/team/a')).toBeUndefined();
    expect(s3UrlProblem('file:///tmp/x')).toBeUndefined();
  });
});
