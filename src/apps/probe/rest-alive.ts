import { type Check, reachable } from './check.ts';

/** The REST API answers its liveness route. */
export const restAlive: Check = async (config, signal) => {
  const url = `http://${reachable(config.REST_HOST)}:${config.REST_PORT}/healthz`;
  const res = await fetch(url, { signal });
  return { ok: res.ok, detail: `GET ${url} answered ${res.status}` };
};
