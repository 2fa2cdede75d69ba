'use strict';
// The last 2 invocations of a function through the legacy v2 API, with Tencent Cloud's own v2 SDK
// (qcloudapi-sdk), unmodified:
//
//   node examples/sdk-v2.cjs [functionName]      (default testnode; `npm install qcloudapi-sdk` outside a checkout)
//
// Where the server is: SCF_LOCAL_ENDPOINT (default http://127.0.0.1:9000). Credentials: SCF_LOCAL_SECRET_ID
// and SCF_LOCAL_SECRET_KEY, else the pair a local `scf-local serve` generated in
// <SCF_LOCAL_DATA_DIR, default .scf-local>/credentials.json. Exits 1 when the API answers an error.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const Capi = require('qcloudapi-sdk');

function credentials() {
  const { SCF_LOCAL_SECRET_ID: secretId, SCF_LOCAL_SECRET_KEY: secretKey } = process.env;
  if (secretId && secretKey) return { secretId, secretKey };
  const file = join(process.env.SCF_LOCAL_DATA_DIR || '.scf-local', 'credentials.json');
  return JSON.parse(readFileSync(file, 'utf8'));
}

const endpoint = new URL(process.env.SCF_LOCAL_ENDPOINT || 'http://127.0.0.1:9000');
const { secretId, secretKey } = credentials();
const capi = new Capi({ SecretId: secretId, SecretKey: secretKey, serviceType: 'scf' });
capi.request(
  { Region: 'gz', Action: 'GetFunctionLogs', functionName: process.argv[2] || 'testnode', limit: 2 },
  { host: endpoint.host, protocol: endpoint.protocol.replace(':', '') },
  (err, body) => {
    if (err) throw err;
    console.log(JSON.stringify(body, null, 2));
    if (body.code !== 0) process.exitCode = 1;
  },
);
