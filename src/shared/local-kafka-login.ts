import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from './config.ts';

/**
 * The local broker's admin login, for the CLI and `music consume` run by hand next to `npm
 * start`: when the environment names no SASL login and the data dir holds the client properties
 * the local broker's provisioning wrote for people's tools (librdkafka names, as `kcat -F`
 * reads them) for these very brokers, those are used. Anything set in the environment wins.
 */
export function withLocalKafkaLogin(config: Config, cwd = process.cwd()): Config {
  if (config.KAFKA_SASL_MECHANISM !== undefined || config.KAFKA_SSL) return config;
  const file = join(resolve(cwd, config.MUSIC_DATA_DIR), 'kafka', 'client.properties');
  if (!existsSync(file)) return config;
  const props = parseProperties(readFileSync(file, 'utf8'));
  if (props.get('bootstrap.servers') !== config.KAFKA_BROKERS.join(',')) return config;
  const mechanism = props.get('sasl.mechanisms');
  const username = props.get('sasl.username');
  const password = props.get('sasl.password');
  if (mechanism !== 'SCRAM-SHA-512' || username === undefined || password === undefined)
    return config;
  return {
    ...config,
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  };
}

/** `key=value` lines as connection.ts's propertiesText writes them; comments skipped. */
function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || /^\s*[#!]/.test(line)) continue;
    const at = line.indexOf('=');
    if (at < 0) continue;
    const value = line.slice(at + 1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.set(line.slice(0, at).trim(), value);
  }
  return out;
}
