import { describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../../core/io/artifact-store.js';
import { openArtifactStore } from '../../../core/io/open-artifact-store.js';
import { S3ArtifactStore } from '../../../core/io/s3-artifact-store.js';
import { tempDir } from '../../helpers/pipeline.js';

describe('openArtifactStore', () => {
  it('opens a folder as a local store and an s3:// URL as a bucket (no request made)', () => {
    const dir = tempDir('open-store');
    expect(openArtifactStore(dir)).toBeInstanceOf(LocalArtifactStore);
    const s3 = openArtifactStore('s3://tagflow-bucket/runs-here');
    expect(s3).toBeInstanceOf(S3ArtifactStore);
    expect(s3.root).toBe('s3://tagflow-bucket/runs-here');
    expect(s3.remote).toBe(true);
    expect(() => openArtifactStore('s3://x/y')).toThrow(/^artifacts: "s3:\/\/x\/y" has an invalid/);
  });
});
