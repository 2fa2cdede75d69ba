// The last 2 invocations of a function through API 3.0, with Tencent Cloud's own SDK
// (tencentcloud-sdk-nodejs), unmodified:
//
//   node examples/sdk-v3.mjs [functionName]      (default testnode; `npm install tencentcloud-sdk-nodejs` outside a checkout)
//
// Where the server is: SCF_LOCAL_ENDPOINT (default http://127.0.0.1:9000). Credentials: SCF_LOCAL_SECRET_ID
// and SCF_LOCAL_SECRET_KEY, else the pair a local `scf-local serve` generated in
// <SCF_LOCAL_DATA_DIR, default .scf-local>/credentials.json. An API error is thrown (exit 1) with its code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tencentcloud from 'tencentcloud-sdk-nodejs';

function credentials() {
  const { SCF_LOCAL_SECRET_ID: secretId, SCF_LOCAL_SECRET_KEY: secretKey } = process.env;
  if (secretId && secretKey) return { secretId, secretKey };
  const file = join(process.env.SCF_LOCAL_DATA_DIR || '.scf-local', 'credentials.json');
  return JSON.parse(readFileSync(file, 'utf8'));
}

const endpoint = new URL(process.env.SCF_LOCAL_ENDPOINT || 'http://127.0.0.1:9000');
const { secretId, secretKey } = credentials();
const client = new tencentcloud.scf.v20180416.Client({
  credential: { secretId, secretKey },
  region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: endpoint.host, protocol: `${endpoint.protocol}//` } },
});
const logs = await client.GetFunctionLogs({ FunctionName: process.argv[2] || 'testnode', Limit: 2 });
console.log(JSON.stringify(logs, null, 2));
