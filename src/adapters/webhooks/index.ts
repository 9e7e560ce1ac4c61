/** The webhook providers the configuration enables, each built from its settings (a missing secret refuses to start). */
import type { WebhookSettings } from '../../config.js';
import { createBrevoWebhook } from './brevo.js';
import { createMailgunWebhook } from './mailgun.js';
import { createMailjetWebhook } from './mailjet.js';
import { createPostmarkWebhook } from './postmark.js';
import type { HttpFetcher, NonceRegistry, ProviderName, WebhookProvider } from './provider.js';
import { createSendGridWebhook } from './sendgrid.js';
import { createSesWebhook } from './ses.js';

export function webhookProviders(settings: WebhookSettings, ports: { fetcher: HttpFetcher; nonces: NonceRegistry }): Map<ProviderName, WebhookProvider> {
  const providers = new Map<ProviderName, WebhookProvider>();
  if (settings.ses) providers.set('ses', createSesWebhook({ topicArns: settings.ses.topicArns, fetcher: ports.fetcher }));
  if (settings.sendgrid) providers.set('sendgrid', createSendGridWebhook(settings.sendgrid));
  if (settings.mailgun) providers.set('mailgun', createMailgunWebhook({ signingKey: settings.mailgun.signingKey, nonces: ports.nonces }));
  if (settings.postmark) providers.set('postmark', createPostmarkWebhook(settings.postmark));
  if (settings.mailjet) providers.set('mailjet', createMailjetWebhook(settings.mailjet));
  if (settings.brevo) providers.set('brevo', createBrevoWebhook(settings.brevo));
  return providers;
}
