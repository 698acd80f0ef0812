/**
 * The pure parts of webhooks: which addresses muster refuses to call, what a
 * subscription matches, how a unit of work's events become messages
 * (batching), and the signature, checked against the `standardwebhooks`
 * package's own signer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { isPublicAddress, resolveCheckedAddress } from '../../src/net/addressGuard.ts';
import { assertEventTypes, assertWebhookUrl, messagesFor, subscribes, userEventDelivery, type CommittedEvent } from '../../src/domain/webhook.ts';
import { signatureHeader } from '../../src/workers/webhookHandler.ts';
import { ConfigError, loadConfig, WEBHOOK_DEFAULT_RETRY_SCHEDULE_MS } from '../../src/config.ts';

const actor = { kind: 'api_key' as const, id: 'k1', label: 'mst_abc' };
const created = (i: number): CommittedEvent => ({
  id: `e${i}`,
  event: { type: 'user.created', subject: { type: 'user', id: `u${i}` }, directoryId: 'd1', data: { username: `user${i}` } },
});

describe('webhook addresses', () => {
  it('refuses loopback, private, link-local, metadata, CGNAT, multicast and IPv4 wrapped in IPv6', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:10.0.0.1', '64:ff9b::7f00:1', '2002:a00:1::1']) {
      assert.equal(isPublicAddress(address), false, address);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) assert.equal(isPublicAddress(address), true, address);
  });

  it('checks IP literals without DNS and lets the operator setting allow them', async () => {
    await assert.rejects(resolveCheckedAddress('[::1]', false), { code: 'webhook.address_not_allowed' });
    assert.deepEqual(await resolveCheckedAddress('[::1]', true), { address: '::1', family: 6 });
    await assert.rejects(resolveCheckedAddress('localhost', false), { code: 'webhook.address_not_allowed' });
    await assert.rejects(resolveCheckedAddress('no-such-host.invalid', true), { code: 'webhook.unresolvable' });
  });

  it('takes only https URLs without user info', () => {
    assert.throws(() => assertWebhookUrl('http://example.com/'), { code: 'webhook.invalid_url' });
    assert.throws(() => assertWebhookUrl('https://user:pw@example.com/'), { code: 'webhook.invalid_url' });
    assert.throws(() => assertWebhookUrl('not a url'), { code: 'webhook.invalid_url' });
    assert.equal(assertWebhookUrl('https://example.com/hook?x=1').hostname, 'example.com');
  });
});

describe('webhook subscriptions and messages', () => {
  it('matches types, families and *, generically (import.* needs no webhook code)', () => {
    assert.ok(subscribes(['import.*'], 'import.completed'));
    assert.ok(subscribes(['*'], 'group.created'));
    assert.ok(subscribes(['user.created'], 'user.created'));
    assert.equal(subscribes(['user.created'], 'user.deleted'), false);
    assert.equal(subscribes(['users.*'], 'user.created'), false);
    assert.deepEqual(assertEventTypes(['user.*', 'user.*', 'import.completed']), ['user.*', 'import.completed']);
    assert.throws(() => assertEventTypes(['user']), { code: 'webhook.invalid_event_types' });
    assert.throws(() => assertEventTypes([]), { code: 'webhook.invalid_event_types' });
  });

  it('groups a batch of user.created into one users.batch_created unless per-user events are asked for', () => {
    const deleted: CommittedEvent = { id: 'e9', event: { type: 'group.deleted', subject: { type: 'group', id: 'g1' }, directoryId: 'd1', data: {} } };
    const events = [created(1), created(2), created(3), deleted];
    const at = new Date('2026-01-01T00:00:00Z');
    const grouped = messagesFor({ eventTypes: ['*'], perUserEvents: false }, events, actor, at);
    assert.deepEqual(grouped.map((m) => m.type), ['users.batch_created', 'group.deleted']);
    assert.equal(grouped[0]!.data.count, 3);
    assert.deepEqual((grouped[0]!.data.users as { id: string }[]).map((u) => u.id), ['u1', 'u2', 'u3']);
    const perUser = messagesFor({ eventTypes: ['user.*'], perUserEvents: true }, events, actor, at);
    assert.deepEqual(perUser.map((m) => m.data.subject), [1, 2, 3].map((i) => ({ type: 'user', id: `u${i}` })));
    assert.equal(perUser[0]!.timestamp, '2026-01-01T00:00:00.000Z');
    const single = messagesFor({ eventTypes: ['user.created'], perUserEvents: false }, [created(1)], actor, at);
    assert.deepEqual(single.map((m) => m.type), ['user.created'], 'one user is not a batch');
    assert.deepEqual(messagesFor({ eventTypes: ['invitation.*'], perUserEvents: false }, events, actor, at), []);
  });

  it('groups a unit\'s user.deleted into one users.batch_deleted the same way (an import undo\'s page; a directory delete plans with userEventDelivery)', () => {
    const deleted = (i: number): CommittedEvent => ({ id: `d${i}`, event: { type: 'user.deleted', subject: { type: 'user', id: `u${i}` }, directoryId: 'd1', data: { username: `user${i}` } } });
    const at = new Date('2026-01-01T00:00:00Z');
    const events = [created(1), created(2), deleted(3), deleted(4), deleted(5)];
    const grouped = messagesFor({ eventTypes: ['user.*'], perUserEvents: false }, events, actor, at);
    assert.deepEqual(grouped.map((m) => [m.type, m.data.count]), [['users.batch_created', 2], ['users.batch_deleted', 3]]);
    assert.deepEqual(grouped[1]!.data.users, [3, 4, 5].map((i) => ({ id: `u${i}`, username: `user${i}`, eventId: `d${i}` })));
    assert.deepEqual(messagesFor({ eventTypes: ['users.batch_deleted'], perUserEvents: false }, events, actor, at).map((m) => m.type), ['users.batch_deleted']);
    assert.equal(messagesFor({ eventTypes: ['user.deleted'], perUserEvents: true }, events, actor, at).length, 3);
    assert.equal(userEventDelivery({ eventTypes: ['*'], perUserEvents: false }, 'user.deleted', 100_000), 'batch');
    assert.equal(userEventDelivery({ eventTypes: ['user.deleted'], perUserEvents: true }, 'user.deleted', 100_000), 'per_user');
    assert.equal(userEventDelivery({ eventTypes: ['users.batch_deleted'], perUserEvents: true }, 'user.deleted', 100_000), null, 'per-user events asked, user.deleted not subscribed');
    assert.equal(userEventDelivery({ eventTypes: ['user.*'], perUserEvents: false }, 'user.deleted', 1), 'per_user', 'one user is not a batch');
    assert.equal(userEventDelivery({ eventTypes: ['group.*'], perUserEvents: false }, 'user.deleted', 10), null);
    assert.equal(userEventDelivery({ eventTypes: ['*'], perUserEvents: false }, 'user.deleted', 0), null);
  });
});

describe('webhook signatures', () => {
  it('match the standardwebhooks signer, one per secret', () => {
    const secrets = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_dGhlIG90aGVyIHNlY3JldCBpcyB0aGlzIG9uZQ=='];
    const body = '{"type":"user.created","timestamp":"2026-01-01T00:00:00.000Z","data":{}}';
    const timestamp = 1_767_225_600;
    const header = signatureHeader(secrets, 'msg_1', timestamp, body);
    assert.deepEqual(header.split(' '), secrets.map((s) => new Webhook(s).sign('msg_1', new Date(timestamp * 1000), body)));
  });
});

describe('webhook settings', () => {
  it('default to the documented schedule and refuse a malformed one, naming the variable', () => {
    const config = loadConfig({});
    assert.deepEqual(config.webhooks.retryScheduleMs, WEBHOOK_DEFAULT_RETRY_SCHEDULE_MS);
    assert.equal(config.webhooks.allowPrivateAddresses, false);
    assert.equal(config.webhooks.timeoutMs, 15_000);
    assert.deepEqual(loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '0, 100,200' }).webhooks.retryScheduleMs, [0, 100, 200]);
    for (const bad of ['0,-5', '5s', '0,,1']) {
      assert.throws(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: bad }), (e: unknown) => e instanceof ConfigError && e.variable === 'WEBHOOK_RETRY_SCHEDULE_MS', bad);
    }
    assert.throws(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'yes' }), (e: unknown) => e instanceof ConfigError && e.variable === 'WEBHOOK_ALLOW_PRIVATE_ADDRESSES');
  });
});
