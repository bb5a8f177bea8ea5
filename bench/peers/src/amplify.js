// The Amplify peer for transfers: `uploadData` from `aws-amplify/storage`.
// Amplify reaches a plain-http S3 only through its internal testing option
// `dangerouslyConnectToHttpEndpointForTesting`, which ignores its value and
// always sends to http://localhost:20005 (path-style); the bench runs that
// stack's S3 on that port. Credentials are handed in through Amplify's custom
// credentials provider (its documented seam), as the bench hands them to the
// SDK peer.
import { Amplify } from 'aws-amplify';
import { list, uploadData } from 'aws-amplify/storage';
import { pickedFile, track } from './common.js';

window.peers = {
  /** `o`: { region, bucket, identityId, credentials }. */
  configure(o) {
    Amplify.configure(
      {
        Storage: {
          S3: {
            bucket: o.bucket,
            region: o.region,
            dangerouslyConnectToHttpEndpointForTesting: 'true',
          },
        },
      },
      {
        Auth: {
          credentialsProvider: {
            getCredentialsAndIdentityId: async () => ({
              credentials: o.credentials,
              identityId: o.identityId,
            }),
            clearCredentialsAndIdentityId: () => {},
          },
        },
      },
    );
  },

  /** Uploads the picked file to `o.key` with `uploadData` and its defaults. */
  upload(o) {
    track(async () => {
      const file = pickedFile();
      await uploadData({ path: o.key, data: file }).result;
      return { bytes: file.size };
    });
  },
  /**
   * Lists `o.prefix` one page (1,000 keys) at a time to the last key with
   * `list`, as a folder view does (sub-folders excluded).
   */
  list(o) {
    track(async () => {
      let pages = 0;
      let keys = 0;
      let last = null;
      let nextToken;
      do {
        const page = await list({
          path: o.prefix,
          options: { pageSize: 1000, nextToken, subpathStrategy: { strategy: 'exclude' } },
        });
        pages += 1;
        keys += page.items.length;
        if (page.items.length) last = page.items[page.items.length - 1].path;
        nextToken = page.nextToken;
      } while (nextToken);
      return { pages, keys, last };
    });
  },
};
