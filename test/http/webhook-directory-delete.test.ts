/**
 * A directory delete's per-user `user.deleted` events (written in SQL, not
 * emitted one by one) reach webhook endpoints, on both stores, with a real
 * HTTPS receiver: one `user.deleted` per user for an endpoint that asked for
 * per-user events; `users.batch_deleted` messages of at most BATCH_MAX_ITEMS
 * users (2 here, so 5 users make 3 messages) for the others; then the
 * `directory.deleted`, in that order. The messages built in SQL must equal
 * the ones domain/webhook.ts `messagesFor` builds from the same stored events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { messagesFor, type CommittedEvent, type WebhookMessage } from '../../src/domain/webhook.ts';
import type { EventType, SubjectType } from '../../src/domain/events.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhookReceiver.ts';
import { waitFor } from '../helpers/wait.ts';

interface AuditEvent {
  readonly id: string;
  readonly type: EventType;
  readonly occurredAt: string;
  readonly actor: { readonly kind: string; readonly id: string | null; readonly label: string | null };
  readonly subject: { readonly type: SubjectType; readonly id: string };
  readonly directoryId: string | null;
  readonly data: Record<string, unknown>;
}

const USERS = 5;
const GROUP_SIZE = 2;

for (const kind of STORE_KINDS) {
  describe(`webhooks of a directory delete (${kind})`, () => {
    let svc: TestService;
    let rx: WebhookReceiver;
    let key: string;

    before(async () => {
      rx = await startWebhookReceiver();
      svc = await startTestService(kind, {
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
        WEBHOOK_CA_FILE: rx.caFile,
        WEBHOOK_RETRY_SCHEDULE_MS: '0,100,100',
        OUTBOX_POLL_MS: '50',
        BATCH_MAX_ITEMS: String(GROUP_SIZE),
      });
      key = (await svc.newTenant()).adminKey;
    });
    after(async () => {
      await svc.close();
      await rx.close();
    });

    it('user.deleted per user, or users.batch_deleted of at most BATCH_MAX_ITEMS users, then directory.deleted; shaped as messagesFor shapes them', async () => {
      const endpoints: Record<string, { id: string; secret: string; eventTypes: string[]; perUserEvents: boolean }> = {};
      const subscriptions: Record<string, { eventTypes: string[]; perUserEvents: boolean }> = {
        perUser: { eventTypes: ['user.deleted', 'directory.*'], perUserEvents: true },
        family: { eventTypes: ['user.*'], perUserEvents: false },
        star: { eventTypes: ['*'], perUserEvents: false },
        grouped: { eventTypes: ['users.batch_deleted'], perUserEvents: false },
        other: { eventTypes: ['group.*'], perUserEvents: false },
      };
      for (const [name, subscription] of Object.entries(subscriptions)) {
        const created = await svc.call('POST', '/v1/webhooks', { key, body: { url: `${rx.url}/${name}`, ...subscription } });
        assert.equal(created.status, 201, created.text);
        endpoints[name] = { ...created.body, ...subscription };
      }
      const directory = await svc.call('POST', '/v1/directories', { key, body: { name: 'doomed' } });
      assert.equal(directory.status, 201, directory.text);
      const userIds: string[] = [];
      for (let i = 0; i < USERS; i += 1) {
        const user = await svc.call('POST', '/v1/directories/doomed/users', { key, body: { username: `doomed${i}` } });
        assert.equal(user.status, 201, user.text);
        userIds.push(user.body.id);
      }
      const received = (name: string) => {
        const verifier = new Webhook(endpoints[name]!.secret);
        return rx.received.filter((h) => h.path === `/${name}`).map((h) => verifier.verify(h.body, h.headers) as WebhookMessage);
      };
      /** What the delete sent: the messages of the setup (endpoints, directory and users created) left out. */
      const typesTo = (name: string) => received(name).map((m) => m.type).filter((t) => !/^(webhook\.|user\.created$|directory\.created$)/.test(t));
      // Everything sent before the delete has arrived, so what follows is the delete's.
      await waitFor('the creations delivered', () => received('star').filter((m) => m.type === 'user.created').length === USERS);
      const deleted = await svc.call('DELETE', '/v1/directories/doomed?force=true', { key });
      assert.equal(deleted.status, 204, deleted.text);

      const groups = Math.ceil(USERS / GROUP_SIZE);
      const arrived = () => Object.fromEntries(Object.keys(subscriptions).map((name) => [name, typesTo(name)]));
      await waitFor('every endpoint\'s messages', () =>
        typesTo('perUser').length === USERS + 1 && typesTo('family').length === groups && typesTo('star').length === groups + 1 && typesTo('grouped').length === groups,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; arrived: ${JSON.stringify(arrived())}`);
      });
      assert.deepEqual(typesTo('perUser'), [...Array<string>(USERS).fill('user.deleted'), 'directory.deleted'], 'per user, then the directory, in commit order');
      assert.deepEqual(typesTo('star'), [...Array<string>(groups).fill('users.batch_deleted'), 'directory.deleted']);
      assert.deepEqual(typesTo('family'), Array<string>(groups).fill('users.batch_deleted'));
      assert.deepEqual(typesTo('grouped'), Array<string>(groups).fill('users.batch_deleted'));
      assert.deepEqual(typesTo('other'), []);

      const audit = await svc.call('GET', '/v1/audit-events?type=user.deleted&limit=100', { key });
      const stored = (audit.body.events as AuditEvent[]).filter((e) => e.directoryId === directory.body.id);
      assert.deepEqual(stored.map((e) => e.subject.id).sort(), [...userIds].sort(), 'one user.deleted per user in the audit trail');
      const byId = new Map(stored.map((e) => [e.id, e]));
      const committed = (ids: readonly string[]): CommittedEvent[] =>
        ids.map((id) => {
          const e = byId.get(id)!;
          return { id, event: { type: e.type, subject: e.subject, directoryId: e.directoryId, data: e.data } as CommittedEvent['event'] };
        });
      const { actor: who, occurredAt } = stored[0]!;
      const expected = (name: string, ids: readonly string[]) => messagesFor(endpoints[name]!, committed(ids), { kind: who.kind, id: who.id, label: who.label } as never, new Date(occurredAt));

      const perUser = received('perUser').filter((m) => m.type === 'user.deleted');
      assert.deepEqual(perUser, expected('perUser', perUser.map((m) => m.data.eventId as string)), 'per-user messages as messagesFor builds them');
      assert.deepEqual(perUser.map((m) => m.data.reason), Array<string>(USERS).fill('directory deleted'));
      for (const name of ['family', 'star', 'grouped']) {
        const batches = received(name).filter((m) => m.type === 'users.batch_deleted');
        assert.deepEqual(batches.map((m) => m.data.count), Array.from({ length: groups }, (_, i) => Math.min(GROUP_SIZE, USERS - i * GROUP_SIZE)), `${name}: at most BATCH_MAX_ITEMS users each`);
        const users = batches.flatMap((m) => m.data.users as { id: string; eventId: string }[]);
        assert.deepEqual(users.map((u) => u.id).sort(), [...userIds].sort(), `${name}: every user once`);
        // messagesFor groups a unit's events into one message; the delete splits that message's users into groups.
        const [whole] = expected(name, users.map((u) => u.eventId));
        assert.deepEqual(batches.flatMap((m) => m.data.users as unknown[]), whole!.data.users, `${name}: the users as messagesFor lists them`);
        for (const batch of batches) {
          assert.deepEqual(batch, { ...whole!, data: { ...whole!.data, count: (batch.data.users as unknown[]).length, users: batch.data.users } }, `${name}: a group as messagesFor shapes it`);
        }
      }
      await waitFor('the per-user deliveries recorded done', async () =>
        (await svc.call('GET', `/v1/webhooks/${endpoints.perUser!.id}/deliveries?limit=100`, { key })).body.deliveries.every((d: { status: string }) => d.status === 'done'),
      );
    });
  });
}
