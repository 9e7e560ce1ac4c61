/**
 * Sending a message through the configured SMTP relay and recording what the relay answered:
 * sent on acceptance, deferred on a temporary refusal, bounced on a permanent one.
 */
import { MailsightError } from '../core/errors.js';
import type { NewEvent } from '../core/events.js';
import { recipientsOf, type MessageService } from './messages.js';
import type { CatalogStore, Clock, EventStore, Mailer } from './ports.js';
import type { MessageStatus } from '../core/message-status.js';

export interface SendResult {
  accepted: boolean;
  response: string;
  status: MessageStatus['state'];
}

export class SendingService {
  constructor(
    private readonly messages: MessageService,
    private readonly catalog: CatalogStore,
    private readonly events: EventStore,
    private readonly mailer: Mailer | null,
    private readonly clock: Clock,
    private readonly from: string,
  ) {}

  async send(messageId: number): Promise<SendResult> {
    if (!this.mailer) throw new MailsightError('NOT_CONFIGURED', 'sending needs an SMTP relay: set SMTP_URL');
    const message = await this.messages.requireMessage(messageId);
    const recipients = recipientsOf(message);
    if (message.recipients.to.length === 0) throw new MailsightError('SUPPRESSED', `message ${messageId} has no recipient left to send to`);
    for (const email of recipients) {
      const suppression = await this.catalog.findSuppression(email, this.clock.now());
      if (suppression) throw new MailsightError('SUPPRESSED', `${email} is suppressed (${suppression.reason}); message ${messageId} was not sent`);
    }
    const events = await this.events.listForMessage(messageId);
    if (events.some((e) => e.type === 'sent')) throw new MailsightError('CONFLICT', `message ${messageId} was already sent`);

    const rendered = await this.messages.render(message);
    const outcome = await this.mailer.send({
      from: this.from,
      to: message.recipients.to,
      cc: message.recipients.cc,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      headers: rendered.headers,
    });
    const base = { messageId, campaignId: message.campaignId, at: this.clock.now(), source: 'smtp' as const };
    let event: NewEvent;
    if (outcome.accepted) {
      event = { ...base, type: 'sent', detail: { response: outcome.response, smtpMessageId: outcome.messageId } };
    } else if (outcome.code !== null && outcome.code >= 500) {
      // A relay's permanent refusal at submission is a bounce the sender must see; the address is
      // not suppressed, since the relay (not the mailbox) may be the cause.
      event = { ...base, type: 'bounced', subtype: 'soft', detail: { code: outcome.code, text: outcome.response } };
    } else {
      event = { ...base, type: 'deferred', detail: { code: outcome.code, text: outcome.response } };
    }
    await this.events.append([event]);
    if (event.type === 'sent') await this.messages.notifyDelivery(messageId, 'sent', event.at);
    return { accepted: outcome.accepted, response: outcome.response, status: outcome.accepted ? 'sent' : event.type === 'bounced' ? 'bounced' : 'deferred' };
  }
}
