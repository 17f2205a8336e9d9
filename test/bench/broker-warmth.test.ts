import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  brokerCpuSeconds,
  coldBrokerWarning,
  WARM_BROKER_CPU_S,
} from '../../bench/broker-warmth.ts';

test("the broker's CPU is the sum over its processes, and unknown without one", () => {
  assert.equal(
    brokerCpuSeconds({
      kafka: new Map([
        [10, 30_000],
        [11, 2_500],
      ]),
    }),
    32.5,
  );
  assert.equal(brokerCpuSeconds({ kafka: new Map(), postgres: new Map([[1, 9]]) }), undefined);
  assert.equal(brokerCpuSeconds({}), undefined);
});

test('a broker under the warm threshold is named cold, with what it used; a warm or unknown one is not', () => {
  const warning = coldBrokerWarning(33.7);
  assert.match(warning ?? '', /used 33 s of CPU since it started \(under 60\).*read low/);
  assert.equal(coldBrokerWarning(WARM_BROKER_CPU_S), null);
  assert.equal(coldBrokerWarning(400), null);
  assert.equal(coldBrokerWarning(undefined), null);
});
