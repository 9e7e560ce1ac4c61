import { describe, expect, it } from 'vitest';
import { providerOfAddress, providerOfDomain, providerOfMx } from './mailbox-provider.js';

describe('mailbox provider', () => {
  it('knows the consumer domains and their country variants, whatever the case', () => {
    expect(providerOfDomain('gmail.com')).toBe('gmail');
    expect(providerOfDomain('GoogleMail.com')).toBe('gmail');
    expect(providerOfDomain('hotmail.fr')).toBe('microsoft');
    expect(providerOfDomain('outlook.co.uk')).toBe('microsoft');
    expect(providerOfDomain('yahoo.com.br')).toBe('yahoo');
    expect(providerOfDomain('aol.com')).toBe('yahoo');
    expect(providerOfDomain('me.com')).toBe('apple');
    expect(providerOfDomain('icloud.com.')).toBe('apple');
    expect(providerOfDomain('corp.example')).toBe('other');
    // A name that only starts like a provider's is not one.
    expect(providerOfDomain('hotmail.example.org')).toBe('other');
    expect(providerOfDomain('livenation.com')).toBe('other');
  });

  it('reads hosted mail from MX hosts: Google Workspace, Microsoft 365, Yahoo, iCloud', () => {
    expect(providerOfMx(['aspmx.l.google.com.'])).toBe('gmail');
    expect(providerOfMx(['corp-example.mail.protection.outlook.com'])).toBe('microsoft');
    expect(providerOfMx(['mta5.am0.yahoodns.net'])).toBe('yahoo');
    expect(providerOfMx(['mx01.mail.icloud.com'])).toBe('apple');
    expect(providerOfMx(['mx.corp.example', 'notgoogle.com'])).toBe('other');
    expect(providerOfMx([])).toBe('other');
  });

  it('takes the domain first, then the MX hosts', () => {
    expect(providerOfAddress('a@gmail.com', ['mx.corp.example'])).toBe('gmail');
    expect(providerOfAddress('a@corp.example', ['aspmx.l.google.com'])).toBe('gmail');
    expect(providerOfAddress('no-at-sign')).toBe('other');
  });
});
