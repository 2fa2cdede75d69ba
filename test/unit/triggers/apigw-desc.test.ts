/**
 * An API Gateway trigger's TriggerDesc, as SCF's trigger configuration description defines it: every part
 * optional (isIntegratedResponse and IsBase64Encoded FALSE, method ANY, stage release by default), methods
 * ANY/GET/HEAD/POST/PUT/DELETE, stages release/test/prepub; what scf-local cannot honour is refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScfError } from '../../../src/errors/index.js';
import { formatApigwDesc, parseApigwDesc } from '../../../src/triggers/apigw/index.js';

test('SCF’s sample description, and the defaults of an empty one', () => {
  const sample =
    '{"api":{"authRequired":"FALSE","requestConfig":{"method":"ANY"},"isIntegratedResponse":"FALSE"},' +
    '"service":{"serviceName":"SCF_API_SERVICE"},"release":{"environmentName":"release"}}';
  const defaults = {
    method: 'ANY',
    integratedResponse: false,
    base64Body: false,
    serviceId: undefined,
    serviceName: 'SCF_API_SERVICE',
    stage: 'release',
  };
  assert.deepEqual(parseApigwDesc(sample), defaults);
  assert.deepEqual(parseApigwDesc(''), defaults);
  assert.deepEqual(parseApigwDesc('{}'), defaults);
  assert.deepEqual(
    parseApigwDesc(
      '{"api":{"requestConfig":{"method":"post"},"isIntegratedResponse":"TRUE","IsBase64Encoded":"TRUE"},' +
        '"service":{"serviceId":"service-abcd1234"},"release":{"environmentName":"test"},"other":1}',
    ),
    {
      ...defaults,
      method: 'POST',
      integratedResponse: true,
      base64Body: true,
      serviceId: 'service-abcd1234',
      stage: 'test',
    },
  );
});

test('the stored form spells every default out and reads back the same', () => {
  const config = parseApigwDesc('{"api":{"isIntegratedResponse":"TRUE"}}');
  const stored = formatApigwDesc(config);
  assert.deepEqual(JSON.parse(stored), {
    api: {
      authRequired: 'FALSE',
      requestConfig: { method: 'ANY' },
      isIntegratedResponse: 'TRUE',
      IsBase64Encoded: 'FALSE',
    },
    service: { serviceName: 'SCF_API_SERVICE' },
    release: { environmentName: 'release' },
  });
  assert.deepEqual(parseApigwDesc(stored), config);
});

test('what is wrong is said, as InvalidParameterValue on triggerDesc', () => {
  const cases: [string, RegExp][] = [
    ['not json', /must be a JSON object, and this is not JSON/],
    ['[1]', /must be a JSON object, got \[1\]/],
    ['{"api":"x"}', /api must be an object/],
    [
      '{"api":{"requestConfig":{"method":"PATCH"}}}',
      /method must be one of ANY, GET, HEAD, POST, PUT, DELETE, got "PATCH"/,
    ],
    ['{"api":{"isIntegratedResponse":"yes"}}', /api.isIntegratedResponse must be "TRUE" or "FALSE"/],
    [
      '{"api":{"authRequired":"TRUE"}}',
      /authRequired "TRUE" is not supported: an scf-local HTTP trigger is a public endpoint/,
    ],
    ['{"release":{"environmentName":"prod"}}', /environmentName must be one of release, test, prepub/],
    ['{"service":{"serviceId":5}}', /service.serviceId must be a string/],
  ];
  for (const [desc, message] of cases) {
    assert.throws(
      () => parseApigwDesc(desc),
      (err: unknown) =>
        err instanceof ScfError &&
        err.code === 'InvalidParameterValue' &&
        err.field === 'triggerDesc' &&
        message.test(err.message),
      desc,
    );
  }
});
