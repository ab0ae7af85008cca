import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@mailshield/common';
import { readAntispamConfig } from './config.js';

describe('readAntispamConfig DNS settings', () => {
  it('uses the system resolver and no authentication by default', () => {
    const { options } = readAntispamConfig({});
    assert.deepEqual(options.dnsServers, []);
    assert.equal(options.dnsTimeoutSeconds, 2);
    assert.equal(options.authentication, false);
  });

  it('turns authentication on with DNS servers', () => {
    const { options } = readAntispamConfig({
      MAILSHIELD_DNS_SERVERS: '127.0.0.1:5353, ::1',
      MAILSHIELD_DNS_TIMEOUT_SECONDS: '0.5',
    });
    assert.deepEqual(options.dnsServers, ['127.0.0.1:5353', '[::1]:53']);
    assert.equal(options.dnsTimeoutSeconds, 0.5);
    assert.equal(options.authentication, true);
  });

  it('lets the switch win over the default', () => {
    const off = readAntispamConfig({
      MAILSHIELD_DNS_SERVERS: '127.0.0.1',
      MAILSHIELD_ANTISPAM_AUTHENTICATION: 'false',
    });
    assert.equal(off.options.authentication, false);
    const on = readAntispamConfig({ MAILSHIELD_ANTISPAM_AUTHENTICATION: 'true' });
    assert.equal(on.options.authentication, true);
    assert.deepEqual(on.options.dnsServers, []);
  });

  it('names every bad DNS setting', () => {
    assert.throws(
      () =>
        readAntispamConfig({
          MAILSHIELD_DNS_SERVERS: 'dns.example.org',
          MAILSHIELD_DNS_TIMEOUT_SECONDS: '0',
        }),
      (err) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /MAILSHIELD_DNS_SERVERS item dns\.example\.org is invalid/);
        assert.match(err.message, /MAILSHIELD_DNS_TIMEOUT_SECONDS=0 is invalid/);
        return true;
      },
    );
  });
});
