// The artifact store a config's `artifacts` names: a local (or shared) folder, or an S3 bucket.
import { isS3Url } from '../s3-url.js';
import { type ArtifactStore, LocalArtifactStore } from './artifact-store.js';
import { S3ArtifactStore } from './s3-artifact-store.js';

export function openArtifactStore(root: string): ArtifactStore {
  return isS3Url(root) ? new S3ArtifactStore(root) : new LocalArtifactStore(root);
}
