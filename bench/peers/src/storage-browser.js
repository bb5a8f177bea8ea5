// The Amplify UI Storage Browser's reference page, for the first-visit row: the
// Authenticator around the Storage Browser, as Amplify's documentation sets it
// up. A first visit shows the sign-in form (no network call until one signs
// in), as Cubby's first visit shows its sign-in card. The pool ids are the
// emulator's test ones; nothing is signed in on this page.
import { Amplify } from 'aws-amplify';
import { createElement as h } from 'react';
import { createRoot } from 'react-dom/client';
import { Authenticator } from '@aws-amplify/ui-react';
import {
  createAmplifyAuthAdapter,
  createStorageBrowser,
} from '@aws-amplify/ui-react-storage/browser';
import '@aws-amplify/ui-react-storage/styles.css';

Amplify.configure({
  Auth: {
    Cognito: {
      userPoolId: 'us-east-1_CubbyDev01',
      userPoolClientId: 'cubbydevclient0000000000001',
      identityPoolId: 'us-east-1:8c4bd6a2-3f1e-4b7a-9d2c-0e5f6a7b8c9d',
    },
  },
  Storage: {
    S3: {
      bucket: 'cubby-dev',
      region: 'us-east-1',
      buckets: {
        files: {
          bucketName: 'cubby-dev',
          region: 'us-east-1',
          paths: { 'private/{entity_id}/*': { entityidentity: ['get', 'list', 'write', 'delete'] } },
        },
      },
    },
  },
});

const { StorageBrowser } = createStorageBrowser({ config: createAmplifyAuthAdapter() });

createRoot(document.getElementById('root')).render(
  h(Authenticator, null, () => h(StorageBrowser)),
);
