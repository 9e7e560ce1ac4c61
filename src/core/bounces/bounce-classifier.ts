/**
 * From what a report says about one recipient to a reason of the taxonomy and hard/soft.
 * delivery.md: codes are unreliable (450 for unknown users, 5.7.1 for anything), so the words decide
 * first (reason-phrases.ts), then the enhanced status's subject and detail (RFC 3463), then the reply
 * code's class. Pure: the same facts always give the same answer.
 */
import { isHardBounce, type BounceReason } from '../outcomes/reasons.js';
import { DIRECTORY_VERDICT, PHRASE_TABLE, type PhraseTable } from './reason-phrases.js';
import type { SmtpCommand } from './smtp-reply.js';

export interface ClassifierInput {
  /** Enhanced status such as "5.1.1", or null. */
  status: string | null;
  replyCode: number | null;
  /** The remote server's reply or the report's words about this recipient. */
  diagnostic: string | null;
  /** More text about this recipient (the human part of the report), read when the diagnostic says nothing known. */
  context?: string | null;
  /** The SMTP command the reply answered, when the report says (smtp-reply.findSmtpCommand). */
  command?: SmtpCommand | null;
  /** The DSN Action, when there is one: "delayed" and "delivered" change what a silent report means. */
  action?: string | null;
  /** The host or domain that wrote the report (Reporting-MTA, else the report's sender's domain), lower-cased. */
  reporter?: string | null;
}

export interface Classification {
  reason: BounceReason;
  hard: boolean;
  /** What decided: the words, the enhanced status, the reply code, or nothing. */
  basis: 'text' | 'status' | 'reply-code' | 'none';
}

/**
 * Enhanced status details that name a reason on their own (RFC 3463, RFC 5248 registry, RFC 7372).
 * X.7.1 (refused), X.0.0 and X.5.0 (other or undefined protocol status) say too little to map and
 * are left to the words.
 */
const STATUS_REASONS: Readonly<Record<string, BounceReason>> = {
  '1.1': 'userunknown',
  '1.2': 'hostunknown',
  '1.3': 'syntaxerror',
  '1.4': 'userunknown',
  '1.5': 'userunknown',
  '1.6': 'hasmoved',
  '1.7': 'rejected',
  '1.8': 'rejected',
  '1.10': 'notaccept',
  '2.0': 'userunknown',
  '2.1': 'suspend',
  '2.2': 'mailboxfull',
  '2.3': 'exceedlimit',
  '2.4': 'systemerror',
  '3.0': 'systemerror',
  '3.1': 'systemfull',
  '3.2': 'notaccept',
  '3.3': 'systemerror',
  '3.4': 'mesgtoobig',
  '3.5': 'systemerror',
  '4.0': 'networkerror',
  '4.1': 'networkerror',
  '4.2': 'networkerror',
  '4.3': 'systemerror',
  '4.4': 'hostunknown',
  '4.5': 'systemerror',
  '4.6': 'networkerror',
  '4.7': 'expired',
  '5.1': 'syntaxerror',
  '5.2': 'syntaxerror',
  '5.3': 'exceedlimit',
  '5.4': 'syntaxerror',
  '5.5': 'syntaxerror',
  '5.6': 'syntaxerror',
  '6.0': 'contenterror',
  '6.1': 'contenterror',
  '6.2': 'contenterror',
  '6.3': 'contenterror',
  '6.4': 'contenterror',
  '6.5': 'contenterror',
  '6.6': 'contenterror',
  '6.7': 'contenterror',
  '6.8': 'contenterror',
  '7.0': 'securityerror',
  '7.2': 'securityerror',
  '7.3': 'securityerror',
  '7.4': 'securityerror',
  '7.5': 'securityerror',
  '7.6': 'securityerror',
  '7.7': 'securityerror',
  '7.8': 'securityerror',
  '7.9': 'securityerror',
  '7.10': 'securityerror',
  '7.11': 'failedstarttls',
  '7.12': 'securityerror',
  '7.13': 'suspend',
  '7.14': 'securityerror',
  '7.15': 'securityerror',
  '7.16': 'mesgtoobig',
  '7.17': 'suspend',
  '7.18': 'suspend',
  '7.19': 'suspend',
  '7.20': 'authfailure',
  '7.21': 'authfailure',
  '7.22': 'authfailure',
  '7.23': 'authfailure',
  '7.24': 'authfailure',
  '7.25': 'requireptr',
  '7.26': 'authfailure',
  '7.27': 'notaccept',
  '7.28': 'speeding',
  '7.29': 'authfailure',
  '7.30': 'securityerror',
  '7.515': 'authfailure',
};

/**
 * Reply codes that name a reason when nothing else does (RFC 5321 4.2.2): 500-504 are command and
 * syntax errors, 551 "user not local, please try <forward-path>" a moved recipient. Other codes
 * are too broad (550 is anything) and leave the reason "onhold".
 */
const REPLY_CODE_REASONS: Readonly<Record<number, BounceReason>> = {
  500: 'syntaxerror',
  501: 'syntaxerror',
  502: 'syntaxerror',
  503: 'syntaxerror',
  504: 'syntaxerror',
  551: 'hasmoved',
};

/**
 * Where the words and a specific status name neighbouring reasons, the status is the finer one:
 * "message size exceeds" with X.2.3 is the recipient's administrative limit, not a too-big message.
 */
function refinedByStatus(reason: BounceReason, status: string | null): BounceReason {
  if (reason === 'mesgtoobig' && status?.endsWith('.2.3')) return 'exceedlimit';
  return reason;
}

/**
 * Reply codes inside a multi-line reply ("550-5.7.1 text\n550-5.7.1 more"): dropped so that the
 * words read as one sentence. A code with its status, or a code followed by a hyphen.
 */
const REPLY_LINE_PREFIX = /\b[245]\d\d[ -]#?[245]\.\d{1,3}\.\d{1,3}\b|\b[245]\d\d-/g;

/** Collapsed, lower-cased text without reply-line prefixes: what the phrase tables match. */
export function normalizeDiagnostic(text: string): string {
  return text.toLowerCase().replace(REPLY_LINE_PREFIX, ' ').replace(/\s+/g, ' ').trim();
}

/** The first reason whose phrases the text contains, in table order; null when none does. */
export function reasonFromText(text: string, table: PhraseTable = PHRASE_TABLE): BounceReason | null {
  if (text === '') return null;
  for (const [reason, phrases] of table) for (const phrase of phrases) if (phrase.test(text)) return reason;
  return null;
}

/** The reason an enhanced status's subject and detail name, or null (X.0.0, X.7.1, unknown details). */
export function reasonFromStatus(status: string | null): BounceReason | null {
  if (!status) return null;
  const detail = status.slice(status.indexOf('.') + 1);
  return STATUS_REASONS[detail] ?? null;
}

function isSuccess(status: string | null, replyCode: number | null, action: string | null | undefined): boolean {
  if (action === 'delivered' || action === 'relayed' || action === 'expanded') return true;
  if (action === 'failed' || action === 'delayed') return false;
  return (status?.startsWith('2.') ?? false) || (replyCode !== null && replyCode >= 200 && replyCode < 300);
}

/**
 * Outlook.com (Hotmail, Live, MSN) answers RCPT TO for an address it does not have with the RFC 5321
 * text "550 Requested action not taken: mailbox unavailable" (status 5.5.0 in its own reports): from
 * that family, the words are its directory's verdict. Elsewhere they may be any refusal.
 */
const OUTLOOK_COM_REPORTER = /(?:^|\.)(?:hotmail|outlook|live|msn)\.com$/;

/** An unknown recipient that the mailbox's own system states (reason-phrases.DIRECTORY_VERDICT). */
function isDirectoryVerdict(text: string, reporter: string | null | undefined): boolean {
  if (DIRECTORY_VERDICT.test(text)) return true;
  return !!reporter && OUTLOOK_COM_REPORTER.test(reporter) && text.includes('mailbox unavailable');
}

/**
 * What the failed command changes. "User unknown" is an address verdict only where the address was
 * judged: at RCPT TO, or with a status naming the address as bad (X.1.x), or in the words of the
 * system that holds the mailbox (isDirectoryVerdict). The same words after DATA, or quoted with no
 * stage at all, come from filters that refuse a message in those words: content filters, forwarding
 * and list stages, and Japanese mobile carriers (au/ezweb, docomo, SoftBank) whose recipients' receive
 * settings refuse a sender with "550 : User unknown" at the end of DATA. Those are "filtered". A
 * refusal of MAIL FROM is about the sender, "rejected", unless the words said something more specific
 * than an unknown address; a refusal at the greeting or after EHLO is a block of the client.
 */
function byCommand(reason: BounceReason, basis: Classification['basis'], command: SmtpCommand | null | undefined, status: string | null, directoryVerdict: () => boolean): BounceReason {
  // After DATA, a refusal whose words name no reason (only "X.7.0 other security status", or a bare code) is the recipient side's filter.
  if (command === 'DATA' && basis !== 'text' && (reason === 'securityerror' || reason === 'onhold' || reason === 'undefined')) return 'filtered';
  if (command === 'MAIL' && (reason === 'userunknown' || reason === 'hostunknown' || reason === 'onhold' || reason === 'undefined')) return 'rejected';
  if (reason === 'userunknown' && command !== 'RCPT' && command !== 'CONN' && command !== 'HELO' && !status?.slice(1).startsWith('.1.') && !directoryVerdict()) return 'filtered';
  // Refused at the greeting or the EHLO, before any address was sent: the client (its IP) was refused.
  if ((command === 'CONN' || command === 'HELO') && (reason === 'rejected' || reason === 'onhold' || reason === 'undefined')) return 'blocked';
  return reason;
}

/**
 * A host or domain that did not resolve on a temporary answer (4.x.x, other than X.1.2 "bad
 * destination system") is a DNS failure on the way, not a domain that does not exist.
 */
function byPermanence(reason: BounceReason, status: string | null, replyCode: number | null): BounceReason {
  if (reason !== 'hostunknown') return reason;
  const temporary = status ? status.startsWith('4.') : replyCode !== null && replyCode >= 400 && replyCode < 500;
  return temporary && !status?.endsWith('.1.2') ? 'networkerror' : reason;
}

/** Classifies what a report says about one recipient. */
export function classifyBounce(input: ClassifierInput): Classification {
  const { status, replyCode } = input;
  const directoryVerdict = (): boolean => isDirectoryVerdict(normalizeDiagnostic((input.diagnostic ?? '') + '\n' + (input.context ?? '')), input.reporter);
  const decided = (found: BounceReason, basis: Classification['basis']): Classification => {
    const reason = byPermanence(byCommand(found, basis, input.command, status, directoryVerdict), status, replyCode);
    return { reason, hard: isHardBounce(reason, replyCode, status), basis };
  };
  if (isSuccess(status, replyCode, input.action)) return decided('delivered', 'status');

  const diagnostic = normalizeDiagnostic(input.diagnostic ?? '');
  const fromDiagnostic = reasonFromText(diagnostic);
  if (fromDiagnostic && fromDiagnostic !== 'delivered') return decided(refinedByStatus(fromDiagnostic, status), 'text');
  // "Other or undefined ... status" (X.Y.0) names a subject only: the report's other words and a delay say more.
  const fromStatus = reasonFromStatus(status);
  const generic = status !== null && status.endsWith('.0');
  if (fromStatus && !generic) return decided(fromStatus, 'status');
  const fromContext = reasonFromText(normalizeDiagnostic(input.context ?? ''));
  if (fromContext && fromContext !== 'delivered') return decided(fromContext, 'text');
  if (input.action === 'delayed') return decided('expired', 'status');
  if (fromStatus) return decided(fromStatus, 'status');
  const fromReplyCode = replyCode === null ? null : REPLY_CODE_REASONS[replyCode];
  if (fromReplyCode) return decided(fromReplyCode, 'reply-code');
  if (status || replyCode !== null) return decided('onhold', 'reply-code');
  // Words about this recipient that name nothing known: held for a person to read, as a bare code is.
  return decided(input.diagnostic || input.context ? 'onhold' : 'undefined', 'none');
}
