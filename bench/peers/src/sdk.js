// The AWS SDK for JavaScript v3 peer: what a site built on the SDK does for the
// same work as Cubby. The bench hands in the emulator's endpoint and the signed-in
// user's temporary credentials (obtained from Cognito Identity as Cubby obtains
// them), then calls `window.peers.*` and polls `window.__peer`.
import {
  GetObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { pickedFile, track } from './common.js';

/**
 * `o`: { endpoint, region, bucket, credentials: { accessKeyId, secretAccessKey,
 * sessionToken }, unsigned }. `unsigned`: send `x-amz-content-sha256:
 * UNSIGNED-PAYLOAD` and no flexible checksum, as Cubby signs its parts (Cubby
 * still sends a CRC32 it computes; this peer then sends none). Otherwise the
 * SDK's defaults: the payload's SHA-256 in the signature and a CRC32 per part
 * (`requestChecksumCalculation: 'WHEN_SUPPORTED'`).
 */
function client(o) {
  const s3 = new S3Client({
    region: o.region,
    endpoint: o.endpoint,
    forcePathStyle: true,
    credentials: o.credentials,
    requestChecksumCalculation: o.unsigned ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  if (o.unsigned) {
    // SigV4 takes a payload hash already in `x-amz-content-sha256` as given
    // instead of hashing the body; the signing step comes after `build`.
    s3.middlewareStack.add(
      (next) => (args) => {
        args.request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        return next(args);
      },
      { step: 'build', name: 'cubbyBenchUnsignedPayload' },
    );
  }
  return s3;
}

window.peers = {
  /** Uploads the picked file to `o.key` with lib-storage's `Upload`. */
  upload(o) {
    track(async () => {
      const upload = new Upload({
        client: client(o),
        params: { Bucket: o.bucket, Key: o.key, Body: pickedFile() },
        partSize: o.partSize,
        queueSize: o.queueSize,
        leavePartsOnError: false,
      });
      await upload.done();
      return { bytes: pickedFile().size };
    });
  },

  /**
   * Downloads `o.key` as a site on the SDK would: a presigned GET
   * (s3-request-presigner) opened as an attachment, saved by the browser.
   */
  download(o) {
    track(async () => {
      const url = await getSignedUrl(
        client(o),
        new GetObjectCommand({
          Bucket: o.bucket,
          Key: o.key,
          ResponseContentDisposition: `attachment; filename="${o.filename}"`,
        }),
        { expiresIn: 3600 },
      );
      const a = document.createElement('a');
      a.href = url;
      document.body.append(a);
      a.click();
      return { url };
    });
  },

  /**
   * Lists `o.prefix` one page (1,000 keys) at a time to the last key, as a
   * folder view does (`Delimiter: '/'`); returns the pages, keys and last key.
   */
  list(o) {
    track(async () => {
      let pages = 0;
      let keys = 0;
      let last = null;
      const pager = paginateListObjectsV2(
        { client: client(o), pageSize: 1000 },
        { Bucket: o.bucket, Prefix: o.prefix, Delimiter: '/' },
      );
      for await (const page of pager) {
        pages += 1;
        const contents = page.Contents || [];
        keys += contents.length;
        if (contents.length) last = contents[contents.length - 1].Key;
      }
      return { pages, keys, last };
    });
  },
};
