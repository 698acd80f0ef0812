/** Configuration: defaults, and a clear error naming each bad variable. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

function failingVariable(env: Record<string, string>): string | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.ok(error.message.includes(error.variable), 'the message names the variable');
    return error.variable;
  }
}

describe('loadConfig', () => {
  it('has working defaults: embedded store under ./data, port 8080', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, undefined);
    assert.match(config.dataDir, /\/data$/);
    assert.equal(config.logLevel, 'info');
    assert.ok(config.passwordHashThreads >= 1);
  });

  it('names the variable that is wrong', () => {
    assert.equal(failingVariable({ PORT: 'eighty' }), 'PORT');
    assert.equal(failingVariable({ PORT: '70000' }), 'PORT');
    assert.equal(failingVariable({ LOG_LEVEL: 'loud' }), 'LOG_LEVEL');
    assert.equal(failingVariable({ DATABASE_URL: 'mysql://x' }), 'DATABASE_URL');
    assert.equal(failingVariable({ DATABASE_POOL_SIZE: '0' }), 'DATABASE_POOL_SIZE');
    assert.equal(failingVariable({ MUSTER_ADMIN_KEY: 'short' }), 'MUSTER_ADMIN_KEY');
    assert.equal(failingVariable({ MUSTER_SERVER_KEY: 'c2hvcnQ=' }), 'MUSTER_SERVER_KEY');
    assert.equal(failingVariable({ BODY_LIMIT_BYTES: '-1' }), 'BODY_LIMIT_BYTES');
    assert.equal(failingVariable({ PASSWORD_HASH_THREADS: '1.5' }), 'PASSWORD_HASH_THREADS');
    assert.equal(failingVariable({ SMTP_URL: 'http://mail' }), 'SMTP_URL');
    assert.equal(failingVariable({ PUBLIC_URL: 'muster.example' }), 'PUBLIC_URL');
    assert.equal(failingVariable({ JWT_EXTERNAL_JWKS_URL: 'https://idp.example/jwks' }), 'JWT_EXTERNAL_ISSUER');
    assert.equal(failingVariable({ JWT_EXTERNAL_ISSUER: 'https://idp.example' }), 'JWT_EXTERNAL_JWKS_URL');
    assert.equal(failingVariable({ OUTBOX_MAX_ATTEMPTS: '0' }), 'OUTBOX_MAX_ATTEMPTS');
    assert.equal(failingVariable({ MUSTER_OPERATOR_KEY: 'short' }), 'MUSTER_OPERATOR_KEY');
    assert.equal(failingVariable({ MUSTER_URL: 'localhost:8080' }), 'MUSTER_URL');
    assert.equal(failingVariable({ IDEMPOTENCY_LEASE_SECONDS: '0' }), 'IDEMPOTENCY_LEASE_SECONDS');
  });

  it('reads the values it is given', () => {
    const config = loadConfig({ PORT: '9000', HOST: '127.0.0.1', DATABASE_URL: 'postgres://u@h/db', LOG_LEVEL: 'warn', DATA_DIR: '/tmp/x' });
    assert.equal(config.port, 9000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, 'postgres://u@h/db');
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.dataDir, '/tmp/x');
    assert.equal(config.serviceUrl, 'http://127.0.0.1:9000', 'the CLI finds the service on PORT by default');
    assert.equal(config.idempotencyLeaseSeconds, 10);
    assert.equal(loadConfig({ MUSTER_URL: 'https://muster.example/', IDEMPOTENCY_LEASE_SECONDS: '3' }).serviceUrl, 'https://muster.example');
  });

  it('traces only with an OTLP endpoint, from the standard OTEL_* variables', () => {
    assert.equal(loadConfig({}).tracing, undefined, 'no endpoint: no tracing');
    assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing, {
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'muster',
      exportDelayMs: 5000,
    });
    const signal = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      OTEL_SERVICE_NAME: 'muster-eu',
      OTEL_BSP_SCHEDULE_DELAY: '250',
    }).tracing;
    assert.deepEqual(signal, { tracesUrl: 'https://traces.example/otlp', serviceName: 'muster-eu', exportDelayMs: 250 }, 'the traces endpoint is used as given');
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing, undefined);
    assert.equal(failingVariable({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }), 'OTEL_EXPORTER_OTLP_ENDPOINT');
    assert.equal(failingVariable({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }), 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    assert.equal(failingVariable({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_BSP_SCHEDULE_DELAY: 'soon' }), 'OTEL_BSP_SCHEDULE_DELAY');
  });

  it('verifies SMTP certificates unless SMTP_TLS_INSECURE=true says otherwise; the URL cannot turn it off', () => {
    assert.equal(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example:465' }).mail.smtpTlsInsecure, false);
    assert.equal(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example:465', SMTP_TLS_INSECURE: 'true' }).mail.smtpTlsInsecure, true);
    for (const query of ['tls.rejectUnauthorized=false', 'name=x&tls.rejectUnauthorized=false', 'tls.rejectunauthorized=0']) {
      try {
        loadConfig({ SMTP_URL: `smtp://u:p@mail.example:587?${query}` });
        assert.fail(`accepted ${query}`);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.variable, 'SMTP_URL');
        assert.match(error.message, /SMTP_TLS_INSECURE=true/, 'the message names the explicit variable');
      }
    }
    assert.equal(failingVariable({ SMTP_URL: 'smtp://mail.example', SMTP_TLS_INSECURE: 'yes' }), 'SMTP_TLS_INSECURE');
    assert.equal(failingVariable({ SMTP_TLS_INSECURE: 'true' }), 'SMTP_TLS_INSECURE');
  });
});
