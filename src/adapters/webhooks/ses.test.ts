import { generateKeyPairSync, sign, type KeyObject, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportedOutcome } from '../../core/outcomes/reported-outcome.js';
import { MAX_SNS_MESSAGE_AGE_MS, createSesWebhook } from './ses.js';
import { diagnosticReason, providerBounceFacts } from './bounce-text.js';
import { WebhookAuthError, WebhookPayloadError, type HttpFetcher, type WebhookRequest } from './provider.js';

const FIXTURES = resolve(process.cwd(), 'test/fixtures/webhooks/ses');
const fixture = (name: string): string => readFileSync(resolve(FIXTURES, name), 'utf8');

const CERTIFICATE = fixture('test-signing-cert.pem');
const KEY = createPrivateKey(fixture('test-signing-key.pem'));
const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ses-events';
/** After the test certificate's notBefore (2026-12-03). */
const NOW = Date.UTC(2027, 0, 15, 12, 0, 0);

type Envelope = Record<string, string | undefined>;

/** SNS's string to sign, written here from the documentation independently of ses.ts. */
function signEnvelope(envelope: Envelope, key: KeyObject = KEY): Envelope {
  const order =
    envelope['Type'] === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = order
    .filter((k) => envelope[k] !== undefined)
    .map((k) => `${k}\n${envelope[k]}\n`)
    .join('');
  const algorithm = envelope['SignatureVersion'] === '1' ? 'sha1' : 'sha256';
  return { ...envelope, Signature: sign(algorithm, Buffer.from(text), key).toString('base64') };
}

function notification(message: string, over: Envelope = {}): Envelope {
  return {
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: TOPIC,
    Message: message,
    Timestamp: new Date(NOW - 5_000).toISOString(),
    SignatureVersion: '2',
    SigningCertURL: CERT_URL,
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:ses-events:c9135db0',
    ...over,
  };
}

function request(body: Envelope | string, headers: Record<string, string> = {}, now = NOW): WebhookRequest {
  const rawBody = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { rawBody, headers, query: {}, clientAddress: null, now };
}

function countingFetcher(): HttpFetcher & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async get(url) {
      calls.push(url);
      return CERTIFICATE;
    },
  };
}

function provider(fetcher = countingFetcher()) {
  return createSesWebhook({ topicArns: [TOPIC], fetcher });
}

/** Authenticates and parses a signed notification carrying the fixture event. */
async function outcomesOf(fixtureName: string): Promise<ReportedOutcome[]> {
  const ses = provider();
  const req = request(signEnvelope(notification(fixture(fixtureName))));
  await ses.authenticate(req);
  return ses.parse(req).outcomes;
}

const SNS_ID = '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324';
const REFERENCE = {
  token: 'tok_from_tag',
  providerMessageId: '0100019c2d3e4f50-6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d-000000',
  messageIdHeader: 'campaign-7.message-42@mail.example.com',
};
const NO_HEADERS_REFERENCE = { ...REFERENCE, token: null };

describe('ses: the factory', () => {
  it('refuses to start without a topic', () => {
    expect(() => createSesWebhook({ topicArns: [], fetcher: countingFetcher() })).toThrow(/topicArns/);
    expect(() => createSesWebhook({ topicArns: [' '], fetcher: countingFetcher() })).toThrow(/topicArns/);
    expect(() => createSesWebhook({ topicArns: undefined as unknown as string[], fetcher: countingFetcher() })).toThrow(/topicArns/);
  });
});

describe('ses: authentication', () => {
  it('verifies SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA)', async () => {
    const ses = provider();
    for (const version of ['1', '2']) {
      const body = signEnvelope(notification(fixture('event-delivery.json'), { SignatureVersion: version }));
      await expect(ses.authenticate(request(body))).resolves.toBeUndefined();
    }
  });

  it('signs the Subject when there is one', async () => {
    const body = signEnvelope(notification(fixture('event-delivery.json'), { Subject: 'Amazon SES Email Event Notification' }));
    await expect(provider().authenticate(request(body))).resolves.toBeUndefined();
    const tampered = { ...body, Subject: 'Something else' };
    await expect(provider().authenticate(request(tampered))).rejects.toThrow(WebhookAuthError);
  });

  it('fetches a certificate once for two messages signed with it', async () => {
    const fetcher = countingFetcher();
    const ses = provider(fetcher);
    await ses.authenticate(request(signEnvelope(notification(fixture('event-delivery.json')))));
    await ses.authenticate(request(signEnvelope(notification(fixture('event-open.json'), { MessageId: 'another' }))));
    expect(fetcher.calls).toEqual([CERT_URL]);
  });

  it('refuses a forged signature, another key, a tampered body', async () => {
    const ses = provider();
    const good = signEnvelope(notification(fixture('event-delivery.json')));
    const forged = { ...good, Signature: Buffer.alloc(256, 7).toString('base64') };
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const otherKey = signEnvelope(notification(fixture('event-delivery.json')), privateKey);
    const tampered = { ...good, Message: good['Message']!.replace('recipient@example.com', 'victim@example.com') };
    expect(tampered['Message']).not.toBe(good['Message']);
    const versionSwapped = { ...good, SignatureVersion: '1' };
    for (const body of [forged, otherKey, tampered, versionSwapped]) {
      await expect(ses.authenticate(request(body))).rejects.toThrow(/does not verify/);
    }
  });

  it('refuses a topic that is not configured', async () => {
    const body = signEnvelope(notification(fixture('event-delivery.json'), { TopicArn: 'arn:aws:sns:us-east-1:999999999999:theirs' }));
    await expect(provider().authenticate(request(body))).rejects.toThrow(/TopicArn .* not a configured topic/);
  });

  it('refuses a certificate URL that is not https, not on an SNS host or not a .pem, without fetching it', async () => {
    const fetcher = countingFetcher();
    const ses = provider(fetcher);
    const urls = [
      'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem',
      'https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-x.pem',
      'https://evil.example/sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.txt',
      'https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-x.pem',
      'https://sns.x.amazonaws.com/SimpleNotificationService-x.pem',
      'not a url',
    ];
    for (const url of urls) {
      const body = signEnvelope(notification(fixture('event-delivery.json'), { SigningCertURL: url }));
      await expect(ses.authenticate(request(body)), url).rejects.toThrow(/SigningCertURL/);
    }
    expect(fetcher.calls).toEqual([]);
    const china = signEnvelope(notification(fixture('event-delivery.json'), { SigningCertURL: 'https://sns.cn-north-1.amazonaws.com.cn/S-x.pem' }));
    await expect(ses.authenticate(request(china))).resolves.toBeUndefined();
  });

  it('refuses a message older than an hour or from the future', async () => {
    const ses = provider();
    const stale = signEnvelope(notification(fixture('event-delivery.json'), { Timestamp: new Date(NOW - MAX_SNS_MESSAGE_AGE_MS - 1).toISOString() }));
    await expect(ses.authenticate(request(stale))).rejects.toThrow(/Timestamp .* minutes old/);
    const future = signEnvelope(notification(fixture('event-delivery.json'), { Timestamp: new Date(NOW + 10 * 60_000).toISOString() }));
    await expect(ses.authenticate(request(future))).rejects.toThrow(/Timestamp .* future/);
    const justInTime = signEnvelope(notification(fixture('event-delivery.json'), { Timestamp: new Date(NOW - MAX_SNS_MESSAGE_AGE_MS).toISOString() }));
    await expect(ses.authenticate(request(justInTime))).resolves.toBeUndefined();
  });

  it('refuses a body that is not an SNS message, and a message-type header that contradicts it', async () => {
    const ses = provider();
    await expect(ses.authenticate(request('{not json'))).rejects.toThrow(WebhookAuthError);
    const { Signature: _dropped, ...unsigned } = signEnvelope(notification(fixture('event-delivery.json')));
    await expect(ses.authenticate(request(unsigned))).rejects.toThrow(/Signature/);
    const body = signEnvelope(notification(fixture('event-delivery.json')));
    await expect(ses.authenticate(request(body, { 'x-amz-sns-message-type': 'SubscriptionConfirmation' }))).rejects.toThrow(/x-amz-sns-message-type/);
    await expect(ses.authenticate(request(body, { 'x-amz-sns-message-type': 'Notification' }))).resolves.toBeUndefined();
  });

  it('refuses when the certificate cannot be fetched or read, and fetches again next time', async () => {
    let calls = 0;
    const failing: HttpFetcher = {
      async get() {
        calls += 1;
        if (calls === 1) throw new Error('connection reset');
        return calls === 2 ? 'not a certificate' : CERTIFICATE;
      },
    };
    const ses = createSesWebhook({ topicArns: [TOPIC], fetcher: failing });
    const body = request(signEnvelope(notification(fixture('event-delivery.json'))));
    await expect(ses.authenticate(body)).rejects.toThrow(/connection reset/);
    await expect(ses.authenticate(body)).rejects.toThrow(/not a PEM certificate/);
    await expect(ses.authenticate(body)).resolves.toBeUndefined();
  });
});

describe('ses: subscription confirmations', () => {
  it('returns the SubscribeURL of a signed SubscriptionConfirmation', async () => {
    const ses = provider();
    const envelope = { ...JSON.parse(fixture('sns-subscription-confirmation.json')), Timestamp: new Date(NOW).toISOString(), SignatureVersion: '1', SigningCertURL: CERT_URL };
    const req = request(signEnvelope(envelope), { 'x-amz-sns-message-type': 'SubscriptionConfirmation' });
    await ses.authenticate(req);
    expect(ses.parse(req)).toEqual({ outcomes: [], confirmSubscriptionUrl: envelope.SubscribeURL });
  });

  it('verifies the Token and SubscribeURL as signed fields', async () => {
    const envelope = { ...JSON.parse(fixture('sns-subscription-confirmation.json')), Timestamp: new Date(NOW).toISOString(), SignatureVersion: '2', SigningCertURL: CERT_URL };
    const signed = signEnvelope(envelope);
    const redirected = { ...signed, SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=theirs' };
    await expect(provider().authenticate(request(redirected))).rejects.toThrow(/does not verify/);
  });

  it('records nothing for an UnsubscribeConfirmation', async () => {
    const ses = provider();
    const envelope = { ...JSON.parse(fixture('sns-unsubscribe-confirmation.json')), Timestamp: new Date(NOW).toISOString(), SignatureVersion: '2', SigningCertURL: CERT_URL };
    const req = request(signEnvelope(envelope));
    await ses.authenticate(req);
    expect(ses.parse(req)).toEqual({ outcomes: [] });
  });
});

describe('ses: events', () => {
  it('Send: one sent outcome per destination', async () => {
    const outcomes = await outcomesOf('event-send.json');
    expect(outcomes.map((o) => [o.kind, o.recipient, o.id])).toEqual([
      ['sent', 'recipient@example.com', `${SNS_ID}:recipient@example.com`],
      ['sent', 'second@example.org', `${SNS_ID}:second@example.org`],
      ['sent', 'third@example.net', `${SNS_ID}:third@example.net`],
    ]);
    expect(outcomes[0]).toMatchObject({ reporter: 'ses', at: Date.parse('2026-12-01T10:00:00.000Z'), reference: REFERENCE });
  });

  it('Reject: blocked, a virus found', async () => {
    const [outcome, ...rest] = await outcomesOf('event-reject.json');
    expect(rest).toEqual([]);
    expect(outcome).toMatchObject({
      kind: 'blocked',
      recipient: 'recipient@example.com',
      bounce: { hard: false, reason: 'virusdetected', status: null, replyCode: null, diagnostic: 'Bad content' },
    });
  });

  it('Bounce: one outcome per bounced recipient, not per destination, hard only for the unknown user', async () => {
    const outcomes = await outcomesOf('event-bounce-permanent-multi.json');
    const feedbackId = '0100019c2d3e5a11-aaaa1111-bbbb-4ccc-8ddd-eeeeffff0000-000000';
    expect(outcomes).toEqual([
      {
        kind: 'bounced',
        recipient: 'second@example.org',
        at: Date.parse('2026-12-01T10:00:02.669Z'),
        reporter: 'ses',
        id: `${feedbackId}:second@example.org`,
        reference: REFERENCE,
        bounce: { hard: true, reason: 'userunknown', status: '5.1.1', replyCode: 550, diagnostic: 'smtp; 550 5.1.1 user unknown' },
        detail: { event: 'Bounce', bounceType: 'Permanent', bounceSubType: 'General' },
      },
      {
        kind: 'bounced',
        recipient: 'third@example.net',
        at: Date.parse('2026-12-01T10:00:02.669Z'),
        reporter: 'ses',
        id: `${feedbackId}:third@example.net`,
        reference: REFERENCE,
        // Permanent, but a block says nothing against the address: soft.
        bounce: { hard: false, reason: 'blocked', status: '5.7.1', replyCode: 550, diagnostic: 'smtp; 550 5.7.1 Message rejected: listed on a block list' },
        detail: { event: 'Bounce', bounceType: 'Permanent', bounceSubType: 'General' },
      },
    ]);
  });

  it('Bounce: a Transient 5.4.4 is soft', async () => {
    const [outcome] = await outcomesOf('event-bounce-transient.json');
    expect(outcome).toMatchObject({
      kind: 'bounced',
      recipient: 'recipient@example.com',
      bounce: { hard: false, reason: 'hostunknown', status: '5.4.4', replyCode: 550 },
    });
  });

  it('Bounce notification on the suppression list: blocked, not sent', async () => {
    const [outcome] = await outcomesOf('notification-bounce-suppressed.json');
    expect(outcome).toMatchObject({
      kind: 'blocked',
      recipient: 'recipient@example.com',
      id: '0100019c2d3e7c33-suppressed-000000:recipient@example.com',
      reference: { ...NO_HEADERS_REFERENCE },
      bounce: { hard: false, reason: 'suppressed' },
      detail: { event: 'Bounce', bounceType: 'Permanent', bounceSubType: 'OnAccountSuppressionList' },
    });
  });

  it('Complaint (event and notification): complained, with the feedback type', async () => {
    const [event] = await outcomesOf('event-complaint.json');
    expect(event).toEqual({
      kind: 'complained',
      recipient: 'recipient@example.com',
      at: Date.parse('2026-12-01T12:00:00.000Z'),
      reporter: 'ses',
      id: '0100019c2d3e6b22-cccc2222-dddd-4eee-8fff-000011112222-000000:recipient@example.com',
      reference: REFERENCE,
      feedbackType: 'abuse',
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36',
      detail: { event: 'Complaint' },
    });
    const [notified] = await outcomesOf('notification-complaint.json');
    expect(notified).toMatchObject({ kind: 'complained', feedbackType: 'abuse', reference: NO_HEADERS_REFERENCE, userAgent: 'ExampleCorp Feedback Loop (V0.01)' });
  });

  it('Delivery (event and notification): one delivered per recipient delivered to', async () => {
    const [event] = await outcomesOf('event-delivery.json');
    expect(event).toEqual({
      kind: 'delivered',
      recipient: 'recipient@example.com',
      at: Date.parse('2026-12-01T10:00:01.500Z'),
      reporter: 'ses',
      id: `${SNS_ID}:recipient@example.com`,
      reference: REFERENCE,
      detail: { event: 'Delivery', smtpResponse: '250 2.6.0 Message received' },
    });
    const notified = await outcomesOf('notification-delivery.json');
    expect(notified.map((o) => [o.kind, o.recipient])).toEqual([
      ['delivered', 'recipient@example.com'],
      ['delivered', 'second@example.org'],
    ]);
  });

  it('DeliveryDelay: deferred per delayed recipient, soft, reason from the delay type', async () => {
    const [outcome] = await outcomesOf('event-delivery-delay.json');
    expect(outcome).toMatchObject({
      kind: 'deferred',
      recipient: 'recipient@example.com',
      at: Date.parse('2026-12-01T10:10:00.000Z'),
      bounce: { hard: false, reason: 'networkerror', status: '4.4.1', replyCode: 421, diagnostic: 'smtp; 421 4.4.1 Unable to connect to remote host' },
      detail: { event: 'DeliveryDelay', delayType: 'TransientCommunicationFailure' },
    });
  });

  it('Open and Click: SES tracking, kept with ip and user agent', async () => {
    const [open] = await outcomesOf('event-open.json');
    expect(open).toEqual({
      kind: 'opened',
      recipient: 'recipient@example.com',
      at: Date.parse('2026-12-01T13:00:00.000Z'),
      reporter: 'ses',
      id: `${SNS_ID}:recipient@example.com`,
      reference: REFERENCE,
      ip: '192.0.2.1',
      userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)',
      detail: { event: 'Open' },
    });
    const [click] = await outcomesOf('event-click.json');
    expect(click).toMatchObject({ kind: 'clicked', url: 'https://www.example.com/some-page?utm_source=ses', ip: '192.0.2.1' });
  });

  it('Open of a message with several destinations names no recipient', async () => {
    const event = JSON.parse(fixture('event-open.json'));
    event.mail.destination = ['a@example.com', 'b@example.com'];
    const ses = provider();
    const req = request(signEnvelope(notification(JSON.stringify(event))));
    await ses.authenticate(req);
    expect(ses.parse(req).outcomes).toMatchObject([{ kind: 'opened', recipient: null, id: `${SNS_ID}:-` }]);
  });

  it('Rendering Failure: blocked, a content error', async () => {
    const [outcome] = await outcomesOf('event-rendering-failure.json');
    expect(outcome).toMatchObject({ kind: 'blocked', bounce: { hard: false, reason: 'contenterror' }, detail: { templateName: 'MyTemplate' } });
  });

  it('Subscription: an opt-out is an unsubscription; an opt-in is nothing', async () => {
    const [outcome] = await outcomesOf('event-subscription.json');
    expect(outcome).toMatchObject({
      kind: 'unsubscribed',
      recipient: 'recipient@example.com',
      detail: { event: 'Subscription', contactList: 'ContactListName', unsubscribeAll: true, topics: ['ExampleTopicName'] },
    });
    const optIn = JSON.parse(fixture('event-subscription.json'));
    optIn.subscription.newTopicPreferences = { unsubscribeAll: false, topicSubscriptionStatus: [{ topicName: 'ExampleTopicName', subscriptionStatus: 'OptIn' }] };
    const ses = provider();
    const req = request(signEnvelope(notification(JSON.stringify(optIn))));
    expect(ses.parse(req).outcomes).toEqual([]);
  });

  it('AmazonSnsSubscriptionSucceeded: nothing', async () => {
    expect(await outcomesOf('notification-subscription-succeeded.json')).toEqual([]);
  });

  it('takes the token from the tag, else from the header', async () => {
    const event = JSON.parse(fixture('event-delivery.json'));
    delete event.mail.tags;
    const outcomes = provider().parse(request(signEnvelope(notification(JSON.stringify(event)))));
    expect(outcomes.outcomes[0]?.reference.token).toBe('tok_from_header');
  });
});

describe('ses: payload errors name the field', () => {
  const parse = (message: string) => provider().parse(request(signEnvelope(notification(message))));

  it('a Message that is not JSON', () => {
    expect(() => parse('{oops')).toThrow(new WebhookPayloadError('ses: Message is not a JSON object'));
  });

  it('an unknown event type', () => {
    expect(() => parse(JSON.stringify({ eventType: 'Teleport', mail: {} }))).toThrow(/eventType "Teleport"/);
    expect(() => parse(JSON.stringify({ mail: {} }))).toThrow(/neither eventType nor notificationType/);
  });

  it('a missing field', () => {
    const noRecipients = JSON.parse(fixture('event-bounce-transient.json'));
    delete noRecipients.bounce.bouncedRecipients;
    expect(() => parse(JSON.stringify(noRecipients))).toThrow(/bounce\.bouncedRecipients/);
    const noAddress = JSON.parse(fixture('event-bounce-transient.json'));
    delete noAddress.bounce.bouncedRecipients[0].emailAddress;
    expect(() => parse(JSON.stringify(noAddress))).toThrow(/bounce\.bouncedRecipients\.0\.emailAddress/);
    const noMessageId = JSON.parse(fixture('event-delivery.json'));
    delete noMessageId.mail.messageId;
    expect(() => parse(JSON.stringify(noMessageId))).toThrow(/mail\.messageId/);
    const noDelivery = JSON.parse(fixture('event-delivery.json'));
    delete noDelivery.delivery;
    expect(() => parse(JSON.stringify(noDelivery))).toThrow(/ses: delivery/);
  });

  it('a SubscribeURL off the SNS hosts', () => {
    const envelope = { ...JSON.parse(fixture('sns-subscription-confirmation.json')), SubscribeURL: 'https://evil.example/confirm' };
    expect(() => provider().parse(request(signEnvelope({ ...envelope, Timestamp: new Date(NOW).toISOString(), SignatureVersion: '2', SigningCertURL: CERT_URL })))).toThrow(
      /SubscribeURL .* not on an SNS host/,
    );
  });
});

describe('the interim bounce reasons (shared with sendgrid.ts and mailgun.ts)', () => {
  it('reads the common phrases, the most specific first, then the enhanced status code', () => {
    expect(diagnosticReason(null, '550 5.1.2 Domain does not exist')).toBe('hostunknown');
    expect(diagnosticReason(null, '550 5.1.1 <a@b.example>: Recipient address rejected: User unknown')).toBe('userunknown');
    expect(diagnosticReason(null, '452 4.2.2 Mailbox full')).toBe('mailboxfull');
    expect(diagnosticReason(null, '554 5.7.1 Message rejected as spam')).toBe('spamdetected');
    expect(diagnosticReason(null, '550 5.7.1 Client host blocked using zen.spamhaus.org')).toBe('blocked');
    expect(diagnosticReason(null, '550 5.7.1 Service unavailable; client host [192.0.2.1] blocked')).toBe('blocked');
    expect(diagnosticReason(null, '550 5.7.1 Rejected by local policy')).toBe('policyviolation');
    expect(diagnosticReason('5.1.1', 'Rejected')).toBe('userunknown');
    expect(diagnosticReason(null, '550 5.2.1 Rejected')).toBe('suspend');
    expect(diagnosticReason(null, '550 Rejected')).toBe('undefined');
    expect(diagnosticReason(null, null)).toBe('undefined');
  });

  it('is hard only when the provider says permanent and the reason is about the address (or unknown)', () => {
    expect(providerBounceFacts(true, null, '5.1.1', 'smtp; 550 5.1.1 user unknown')).toMatchObject({ hard: true, reason: 'userunknown', replyCode: 550 });
    expect(providerBounceFacts(false, null, '4.1.1', 'smtp; 450 4.1.1 user unknown')).toMatchObject({ hard: false, reason: 'userunknown' });
    expect(providerBounceFacts(true, null, '5.2.2', 'smtp; 552 5.2.2 mailbox full')).toMatchObject({ hard: false, reason: 'mailboxfull' });
    expect(providerBounceFacts(true, null, null, 'smtp; 550 rejected')).toMatchObject({ hard: true, reason: 'undefined', status: null });
    expect(providerBounceFacts(true, 'notaccept', '4.1.10', '450 4.1.10 null MX')).toMatchObject({ hard: false, reason: 'notaccept' });
    expect(providerBounceFacts(true, null, null, 'no code here', 554)).toMatchObject({ replyCode: 554 });
  });
});
