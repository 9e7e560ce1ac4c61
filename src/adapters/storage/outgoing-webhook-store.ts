/**
 * Outgoing webhook endpoints, their delivery log and the events they carry, over Kysely (one set of
 * statements for both dialects). One node at a time delivers an endpoint: its lease is taken by one
 * conditional UPDATE (due, enabled, no lease in force), which PostgreSQL evaluates again on the row a
 * concurrent UPDATE left and SQLite runs one at a time; an attempt's end is written only while its
 * lease holds.
 */
import type { Kysely, Selectable } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { SealedSecret } from '../../core/secret-key.js';
import type { OutgoingEvent, OutgoingWebhookStore, StoredWebhookEndpoint, WebhookAttemptEnd, WebhookDelivery, WebhookEndpoint, WebhookLease } from '../../app/ports.js';
import type { Database, WebhookDeliveriesTable, WebhookEndpointsTable } from './schema.js';
import { eventsInContext } from './event-context.js';
import { newestEventId, SettledEvents } from './settled-events.js';

export class KyselyOutgoingWebhookStore implements OutgoingWebhookStore {
  readonly #settled: SettledEvents;

  constructor(private readonly db: Kysely<Database>) {
    this.#settled = new SettledEvents(db);
  }

  async createEndpoint(endpoint: { url: string; description: string; cursor: number; createdAt: number }, seal: (id: number) => SealedSecret): Promise<WebhookEndpoint> {
    return this.db.transaction().execute(async (trx) => {
      // The secret is sealed with the endpoint's id, known once the row is inserted.
      const { id } = await trx
        .insertInto('webhook_endpoints')
        .values({
          url: endpoint.url,
          description: endpoint.description,
          secret_sealed: '',
          secret_sealed_by: '',
          created_at: endpoint.createdAt,
          disabled_at: null,
          cursor: endpoint.cursor,
          next_attempt_at: endpoint.createdAt,
          failures: 0,
          lease_owner: null,
          lease_until: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const sealed = seal(id);
      await trx.updateTable('webhook_endpoints').set({ secret_sealed: sealed.box, secret_sealed_by: sealed.by }).where('id', '=', id).execute();
      const row = await trx.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return toEndpoint(row);
    });
  }

  async listEndpoints(): Promise<WebhookEndpoint[]> {
    const rows = await this.db.selectFrom('webhook_endpoints').selectAll().orderBy('id').execute();
    return rows.map(toEndpoint);
  }

  async getEndpoint(id: number): Promise<StoredWebhookEndpoint | null> {
    const row = await this.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { ...toEndpoint(row), sealed: { by: row.secret_sealed_by, box: row.secret_sealed } } : null;
  }

  async sealedSecrets(): Promise<{ id: number; sealed: SealedSecret }[]> {
    const rows = await this.db.selectFrom('webhook_endpoints').select(['id', 'secret_sealed', 'secret_sealed_by']).orderBy('id').execute();
    return rows.map((row) => ({ id: row.id, sealed: { by: row.secret_sealed_by, box: row.secret_sealed } }));
  }

  async resealSecrets(secrets: readonly { id: number; sealed: SealedSecret }[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const { id, sealed } of secrets) {
        await trx.updateTable('webhook_endpoints').set({ secret_sealed: sealed.box, secret_sealed_by: sealed.by }).where('id', '=', id).execute();
      }
    });
  }

  async disableEndpoint(id: number, now: number): Promise<boolean> {
    const exists = await this.db.selectFrom('webhook_endpoints').select('id').where('id', '=', id).executeTakeFirst();
    if (!exists) return false;
    // Disabled once: a second DELETE keeps the first time.
    await this.db.updateTable('webhook_endpoints').set({ disabled_at: now }).where('id', '=', id).where('disabled_at', 'is', null).execute();
    return true;
  }

  async deliveries(endpointId: number, limit: number, before?: number): Promise<WebhookDelivery[]> {
    let query = this.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId);
    if (before !== undefined) query = query.where('id', '<', before);
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toDelivery);
  }

  async dueEndpoints(now: number, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('webhook_endpoints')
      .select('id')
      .where('disabled_at', 'is', null)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async lease(endpointId: number, owner: string, now: number, leaseMs: number): Promise<WebhookLease | null> {
    const token = `${owner}/${randomUUID()}`;
    const until = now + leaseMs;
    const result = await this.db
      .updateTable('webhook_endpoints')
      .set({ lease_owner: token, lease_until: until })
      .where('id', '=', endpointId)
      .where('disabled_at', 'is', null)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? { endpointId, owner: token, until } : null;
  }

  async finish(lease: WebhookLease, end: WebhookAttemptEnd): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('webhook_endpoints')
        .set({ cursor: end.cursor, failures: end.failures, next_attempt_at: end.nextAttemptAt, lease_owner: null, lease_until: null })
        .where('id', '=', lease.endpointId)
        .where('lease_owner', '=', lease.owner)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      if (end.delivery) {
        const d = end.delivery;
        await trx
          .insertInto('webhook_deliveries')
          .values({
            endpoint_id: lease.endpointId,
            at: d.at,
            first_event_id: d.firstEventId,
            last_event_id: d.lastEventId,
            event_count: d.eventCount,
            attempt: d.attempt,
            status_code: d.statusCode,
            error: d.error,
            duration_ms: d.durationMs,
          })
          .execute();
      }
      return true;
    });
  }

  async eventsAfter(afterId: number, upTo: number, limit: number): Promise<OutgoingEvent[]> {
    const rows = await eventsInContext(this.db)
      .select(['e.id', 'e.type', 'e.subtype', 'e.reason', 'e.at', 'e.message_id', 'e.campaign_id', 'm.execution_id', 'm.contact_id', 'e.recipient', 'c.email', 'e.link_ordinal', 'l.url', 'e.verdict', 'e.reasons'])
      .where('e.id', '>', afterId)
      .where('e.id', '<=', upTo)
      .orderBy('e.id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      type: r.type,
      subtype: r.subtype,
      reason: r.reason,
      at: r.at,
      messageId: r.message_id,
      campaignId: r.campaign_id,
      executionId: r.execution_id,
      contactId: r.contact_id,
      recipient: r.recipient ?? r.email,
      link: r.link_ordinal === null ? null : { ordinal: r.link_ordinal, url: r.url },
      verdict: r.verdict,
      reasons: r.reasons === null ? null : (JSON.parse(r.reasons) as string[]),
    }));
  }

  newestEventId(): Promise<number> {
    return newestEventId(this.db);
  }

  settledEventId(): Promise<number> {
    return this.#settled.settledEventId();
  }
}

function toEndpoint(row: Selectable<WebhookEndpointsTable>): WebhookEndpoint {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
    cursor: row.cursor,
    nextAttemptAt: row.next_attempt_at,
    failures: row.failures,
  };
}

function toDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    at: row.at,
    firstEventId: row.first_event_id,
    lastEventId: row.last_event_id,
    eventCount: row.event_count,
    attempt: row.attempt,
    statusCode: row.status_code,
    error: row.error,
    durationMs: row.duration_ms,
  };
}
