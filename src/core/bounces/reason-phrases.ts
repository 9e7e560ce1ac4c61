/**
 * What receiving servers write, per reason: the phrase tables of the bounce classifier. Each entry is
 * wording that MTAs and mailbox providers use in their replies and bounce texts (Postfix, Sendmail,
 * Exim, qmail, Exchange, Gmail, Yahoo, Outlook, iCloud, AOL, GMX, Mail.ru, Zoho, Barracuda,
 * Proofpoint, Mimecast...), matched on lower-cased text with blanks collapsed. The tables are read in
 * the order of PHRASE_TABLE: a reason listed earlier wins when a text says two things (a rejection
 * "because your IP is on Spamhaus" is about the sender even if it also says "recipient").
 */
import type { BounceReason } from '../outcomes/reasons.js';

export type PhraseTable = ReadonlyArray<readonly [BounceReason, readonly RegExp[]]>;

/** Authentication of the sender's domain: SPF, DKIM, DMARC, ARC, and Microsoft's 5.7.515 "authentication missing". */
const AUTH_FAILURE = [
  /(?:bad|invalid|broken|no|missing) spf\b/,
  /\bspf\b.{0,40}(?:fail|check|validation|not pass|softfail|hardfail|does not|doesn't|policy|violation)/,
  /(?:fail|failed|not pass|did not pass|violat)\w*.{0,30}\bspf\b/,
  /\bdkim\b.{0,40}(?:fail|invalid|missing|not pass|policy|signature|required|verif)/,
  /(?:fail|failed|invalid|missing|not pass|no valid)\w*.{0,30}\bdkim\b/,
  /\bdmarc\b/,
  /\barc\b.{0,20}(?:fail|validation)/,
  /sender is unauthenticated|requires all senders to authenticate|authenticate with (?:either )?spf or dkim|sender (?:is )?not authorized to send|not (?:an )?authorized (?:sender|to send on behalf)|unauthenticated (?:email|mail) from|authentication (?:check|checks) (?:failed|did not pass)|does not (?:meet|pass) (?:the required )?authentication|sender authentication (?:failed|required)|domain authentication|not authenticated|failed (?:sender )?authentication|sender policy framework/,
];

/** The sending host has no reverse DNS, or it does not match. */
const REQUIRE_PTR = [
  /reverse (?:dns|lookup|resolution|mapping|name|host ?name)|\bptr\b|\brdns\b|no (?:reverse|inverse)|(?:cannot|could not|can't|couldn't|unable to) (?:find|resolve|verify|lookup) (?:your|the) (?:host ?name|ip|address|domain)|(?:host ?name|ip address) (?:does not|doesn't) (?:resolve|match)|client host .{0,60}(?:unknown|no ptr)|not resolve to your (?:ip|address)|unresolvable (?:address|host)|invalid dns ptr|dns (?:check|lookup) failed for (?:your|the client)|connection refused.{0,20}(?:reverse|ptr)|hostname.{0,20}(?:dynamic|generic)|(?:domain|host ?name|helo)\b.{0,40}(?:mismatch(?:es)?|does not match|doesn't match) (?:the )?(?:client|connecting|your) ip|looks (?:like a|dynamic)|generic (?:host ?name|reverse)/,
];

/**
 * Cox (cloudfilter.net) words every refusal "sender rejected" and gives the cause as an "AUP#" code
 * from its published error-code list: the block-list codes (CDRBL, CXBL and the like) refuse the
 * sending IP, whatever the words say. Read before REJECTED.
 */
const PROVIDER_BLOCK_CODE = [/\baup#\w*(?:rbl|bl)\b/];

/** The sender address or its domain is refused (not the recipient): RFC 3463 X.1.7, X.1.8. */
const REJECTED = [
  /sender (?:address |domain )?(?:rejected|refused|denied|unknown|verify failed|blacklisted|blocked|not allowed|invalid)|(?:rejected|refused|denied|invalid|unknown|unverif\w*|bad) sender|sender address (?:does not exist|is (?:invalid|not valid|unknown))|domain of sender address .{0,60}(?:does not exist|not found|unresolvable|must resolve)|sender domain (?:must exist|not found|does not exist|is not|unknown|not exist)|(?:mail from|envelope sender|from address|return[- ]path|sender) .{0,40}(?:rejected|refused|not (?:allowed|permitted|accepted)|unknown|invalid|doesn't exist|does not exist|must exist|not verified)|unable to verify (?:the )?sender|sender (?:is )?not (?:allowed|permitted|accepted)|address rejected.{0,20}sender|bad (?:sender's|originator) (?:system )?address|rejected (?:by|due to) (?:the )?(?:sender|from)|not accept(?:ing)? mail from|(?:we|i) do not accept mail from|purported responsible address|not (?:a )?member of (?:this|the|our) (?:mailing )?(?:list|group)|are not member\b|not a list member|(?<!ip )address that (?:has been|is) (?:black|block)listed|sending (?:to\/)?from an address|(?:not|no) (?:have )?permission to (?:post|send)|permission to post|'send mail as'|send mail as feature/,
  // Google Groups refuses a post (no such group, or no permission to post) in the poster's language; its help link is the same in all.
  /groups\.google\.com\/support/,
];

/** The recipient's address does not exist. */
const USER_UNKNOWN = [
  /(?:user|recipient|mailbox|account|address|addressee|local[- ]part|alias|name|destination|e-?mail)(?: address)? (?:is )?(?:unknown|not (?:found|known|exist\w*|valid|recogni[sz]ed|listed|local|in (?:our|my|the) (?:database|directory|system|domain))|does(?:n'?t| not) exist|invalid|unavailable(?: for this domain)?|does(?:n'?t| not) have|rejected.{0,20}(?:unknown|not exist|invalid))/,
  /(?:unknown|invalid|non-?existent|no such|bad|illegal|unrecognized|undeliverable) (?:local )?(?:user|recipient|mailbox|account|address|addressee|e-?mail(?: address)?|destination(?: address)?|local[- ]part|alias|person)/,
  /recipient address rejected: access denied|no (?:such|valid) (?:user|recipient|mailbox|account|address|person|one|local user)|no mailbox (?:here|by that name|for)|no account (?:by that name|for)|user (?:does ?not|doesn't) (?:exist|have)|mailbox (?:not found|unavailable|does not exist|doesn't exist|name not allowed)|address (?:unknown|does not exist)|(?:isn't|is not) a (?:valid )?(?:mailbox|user)|not a (?:valid )?(?:user|mailbox|recipient)|user not found|unknown or illegal alias|(?:invalid|unknown) (?:final delivery )?user ?id|cannot find (?:the )?(?:user|recipient|mailbox)|doesn't have an? .{0,40}account|does not have an? .{0,40}account|there is no (?:one|user|mailbox) (?:at|by that|with)|no longer (?:valid|exists|active|in use)|email address (?:could not be found|couldn't be found|was not found|wasn't found)|(?:address|recipient) (?:not|wasn't|was not) found|recipient .{0,40}(?:not|wasn't|was not) found|(?:not|never) (?:been )?(?:a )?registered|mailbox (?:is )?(?:unknown|invalid)|this user doesn't|the (?:email )?account that you tried to reach does not exist|recipient name is not recognized|unknown recipient|no such (?:address|user)|user unknown|addressee unknown|recipient unknown|not listed in|relay not permitted for unknown|is not a known user|check if (?:the )?(?:e-?mail )?address is correct/,
];

/**
 * An unknown recipient stated by the system that holds the mailbox, from its own directory, rather
 * than a remote reply quoted by a relay: Exchange 2000/2003 ("The recipient name is not recognized",
 * IMS code 000C05A6 "Unknown Recipient"), Exchange 2007 and later (RESOLVER.ADR.RecipNotFound), IMail
 * ("Unknown user: a@b", "Invalid final delivery userid"), Lotus Notes and Domino ("not listed in public
 * Name & Address Book", "not listed in Domino Directory"), InterScan ("Please check if address is correct"), Yahoo's "delivery error: dd This
 * user doesn't have a yahoo.com account" (given at end of DATA, but for a missing account), and au
 * (KDDI: ezweb.ne.jp, au.com), which names the address it does not have ("550 <a@ezweb.ne.jp>: User
 * unknown", at RCPT TO) but leaves it out when a recipient's receive settings refuse the sender
 * ("550 : User unknown", at end of DATA: filtered). These are
 * believed whatever SMTP stage the report names or leaves out (bounce-classifier.ts, byCommand).
 */
export const DIRECTORY_VERDICT = /recipient name is not recognized|not listed in (?:the )?domino directory|\(000c05a6\)|resolver\.adr\.recip\w*notfound|unknown user: \S+@|invalid final delivery userid|not listed in (?:the )?(?:public )?name (?:&|and) address book|please check if (?:the )?address is correct|delivery error: dd this user doesn't|@(?:ezweb\.ne\.jp|au\.com)>?: user unknown/;

/**
 * The same two facts as bounces in other languages word them (German, French, Spanish, Russian,
 * Japanese): an unknown recipient and a full mailbox, the commonest bounces by far.
 */
const USER_UNKNOWN_OTHER_LANGUAGES = [/unbekannte?r? (?:empfänger|benutzer|adresse)|existiert nicht|utilisateur inconnu|destinataire inconnu|adresse (?:destinataire )?invalide|n'existe pas|usuario desconocido|destinatario desconocido|не существует|несуществующ|存在しません|宛先不明|見つかりません/];
const MAILBOX_FULL_OTHER_LANGUAGES = [/postfach (?:ist )?voll|speicherplatz|boîte (?:aux lettres )?(?:est )?pleine|buzón (?:está )?lleno|переполнен|容量(?:が|を)?(?:超|オーバー|不足)|メールボックスが(?:いっぱい|一杯)/];

/** A domain or host that does not resolve. */
const HOST_UNKNOWN = [
  /host (?:or domain name )?(?:unknown|not found)|unknown (?:host|domain)|domain (?:not found|does not exist|doesn't exist|is not (?:found|valid|registered)|unknown|lookup failed|name not found)|no such (?:domain|host)|name or service not known|(?:host|domain) name (?:not found|lookup failed|lookup failure|is invalid)|dns error|lookup of \S+ (?:responded with code nxdomain|had no relevant answers)|unroutable domain|unrouteable domain|nxdomain|(?:couldn't|could not|cannot|can't|unable to) (?:find|resolve|determine|locate) (?:any )?(?:the )?(?:host|domain|mx|mail exchanger|server)|no (?:mx|mail exchanger|dns|a) (?:records?|host)|mx (?:record|lookup).{0,30}(?:not|fail|no)|dns (?:error|lookup|resolution) (?:failed|error)|domain (?:has )?no (?:mx|mail)|recipient domain .{0,30}(?:not exist|invalid|unknown)|invalid domain|unknown mail domain|bad destination (?:mailbox )?(?:address|system)|domain (?:isn't|is not) in (?:my|our|the) list of allowed rcpthosts|not (?:a )?(?:valid|known) (?:domain|host)|host not found|domain does not accept|non-existent hosts?|unrouteable address|does not resolve|address of host .{0,40}not (?:found|known)|domain (?:is )?(?:not reachable|unreachable)|(?<![@\w.-])[a-z0-9-]+(?:\.[a-z0-9-]+)+ (?:does not exist|doesn't exist)/,
];

/** A DNS answer that failed for now: the domain may well exist. Read before HOST_UNKNOWN. */
const DNS_TEMPORARY = [/host not found, try again|temporary (?:dns|lookup|name resolution) (?:failure|error)|dns (?:timeout|temporary|servfail)|\bservfail\b|try again later.{0,20}dns|dns.{0,20}try again/];

/** The recipient moved (X.1.6). */
const HAS_MOVED = [/(?:has|have) moved|address (?:has )?changed|no longer (?:at|with|uses|using) this|moved (?:to|permanently)|new (?:e-?mail )?address is|forwarding address/];

/** The recipient's mailbox has no room left. */
const MAILBOX_FULL = [
  /mailbox (?:is )?(?:full|over ?quota|exceed|too large|size limit|has exceeded|has reached|is at capacity)|(?:quota|storage|disk quota|space) (?:exceeded|full|limit|has been exceeded|reached)|over (?:the )?(?:quota|storage|disk) ?(?:limit)?|overquota|exceeded (?:its |the |their |his |her )?(?:storage|quota|mailbox|disk)|(?:insufficient|not enough|no) (?:disk |storage )?(?:space|room|storage)|inbox (?:is )?full|account (?:is )?(?:full|over quota)|user(?:'s)? (?:quota|mailbox is full)|full (?:mailbox|inbox)|mail ?box full|quota|too much mail|(?:storage|mailbox) (?:allocation|capacity)|exceeds? (?:the )?(?:size|storage) (?:limit|allocation) (?:of|for) (?:the |this )?(?:mailbox|recipient|account|user)|maildir over|is full/,
];

/** The mailbox exists but is disabled, suspended or inactive. */
const SUSPEND = [
  /(?:account|mailbox|address|user|recipient) (?:has been |is |was )?(?:temporarily |currently |now )?(?:disabled|suspended|deactivated|inactive|closed|locked|blocked|frozen|expired|terminated|on hold|deleted|cancel(?:l)?ed|discontinued|not active|not enabled)|(?:disabled|suspended|inactive|deactivated|closed|expired) (?:account|mailbox|user|recipient)|(?:account|mailbox) .{0,40}(?:is|has been|was) (?:disabled|suspended|deactivated|inactive|locked)|extended inactivity|(?:inactive|dormant|suspended) (?:for|due)|mailbox (?:is )?(?:disabled|unavailable due)|not (?:currently )?(?:receiving|accepting) (?:mail|e-?mail|messages)|temporarily (?:inactive|disabled|deactivated)|service (?:is )?(?:suspended|stopped|disabled)|has been (?:disabled|suspended|deactivated)/,
];

/** The message is too large for the recipient or the server. */
const MESG_TOO_BIG = [
  /(?:message|mail|email|e-mail) (?:size|length) (?:exceeds|limit|is (?:too large|larger|over))|(?:message|mail|email|e-mail|data|file) (?:is )?too (?:large|big|long)|exceeds? (?:the )?(?:maximum|max|fixed maximum|allowed|size) (?:message )?(?:size|length)|size (?:limit )?exceeded|larger than (?:the )?(?:maximum|allowed|permitted)|message size|mail ?size limit|(?<!headers? )too large|exceeds (?:the )?(?:size|message size) limit/,
];

/** A limit of the recipient's (number of recipients, attachment count...) was exceeded (X.2.3). */
const EXCEED_LIMIT = [/exceeds? (?:the )?(?:administrative|local|per-user|recipient) limit|message length exceeds administrative limit|recipient limit (?:exceeded|reached)/];

/** The recipient's own filter or rules refused the message (the mailbox exists). */
const FILTERED = [
  /(?:message|mail|email|e-mail) (?:was |has been )?filtered|(?:rejected|refused|blocked|discarded) by (?:the )?(?:recipient'?s? |user'?s? )?(?:mail ?)?filter|filtered by|refused by (?:the )?(?:recipient|user|addressee)|recipient (?:refuses|refused|does not (?:accept|want|wish to receive)|has (?:blocked|rejected|refused))|user (?:refuses|refused|has (?:blocked|rejected|refused))|blocked by (?:the )?(?:recipient|user|addressee)|sender (?:address )?(?:is )?(?:blocked|blacklisted|rejected) by (?:the )?(?:recipient|user)|(?:on|in) (?:the )?(?:recipient'?s?|user'?s?) (?:block|black|deny) ?list|not on (?:the )?(?:recipient'?s? |user'?s? )?(?:allow|white|safe) ?list|only accepts mail from/,
];

/** A virus was found. */
const VIRUS = [/virus|malware|infected|trojan|worm\b|malicious (?:content|attachment|payload|file)|phishing|dangerous (?:content|attachment)/];

/** URI block lists (URIBL, SURBL) list the links in a message, not the sending host: a verdict on the content. Read before BLOCKED. */
const URI_BLOCKLIST = [/\buribl\b|\bsurbl\b|(?:black|block)listed (?:url|uri|link)|(?:url|uri|link|domain) in (?:the )?message (?:is )?(?:black|block)listed/];

/** The content looked like spam. */
const SPAM = [
  /\bspam\b|\bspams\b|\buce\b|unsolicited|junk (?:mail|e-?mail)|bulk (?:mail|e-?mail)|(?:message|content) (?:was )?(?:classified|identified|determined|detected|rejected|flagged|considered|looks?) (?:as|like) .{0,20}(?:spam|junk|bulk)|content (?:filter|rejected)|rejected (?:due to|because of|for) (?:its )?content|message content (?:rejected|not accepted)|(?:bayes|spamassassin|spam score|high score|score too high)|suspicious (?:content|message|url|link)|message (?:looks|appears) (?:suspicious|like)|(?:blocked|rejected) (?:by|due to) (?:our )?(?:content|anti-?spam)|scored as spam/,
];

/**
 * The sender's IP, host or network is listed or blocked: block lists (RBL/DNSBL), explicit IP bans,
 * residential and dynamic ranges told to use their provider's relay. Tried before spam: "client host
 * blocked for spamming" is a block of the host, not a verdict on the message.
 */
const BLOCKED = [
  /spamhaus|spamcop|barracudacentral|\bsorbs\b|\brbl\b|\bdnsbl\b|realtime black ?list|(?:black|block|deny|ban)[- ]?list(?:ed)?|listed (?:in|on|at|by) (?:a |an |the |our )?(?:\S+ )?(?:list|dnsbl|rbl|spamhaus|spamcop|block|black)|(?:is|are|was|been) (?:on|in) (?:a |our )?(?:block|black|spam) ?list/,
  /your (?:ip|host|server|network|domain|address range|mail server)\b.{0,60}(?:blocked|block|listed|banned|rejected|refused|not allowed|denied)|(?:ip|host|client|network|server|address|sending ip) (?:address )?(?:\S+ )?(?:is |has been |was )?(?:blocked|banned|blacklisted|not allowed|denied|bloquee)|(?:blocked|banned|rejected|refused|denied) (?:due to|because of) (?:poor |bad |low )?(?:ip|reputation|abuse)|(?:blocked|banned|rejected) (?:ip|host|sender ip)|banned sending ip|not accepted from (?:this|your) ip|not allowed to (?:send|connect)|refused to talk to me|client (?:host|ip|address) .{0,40}(?:rejected|blocked|refused|not allowed)|blocked (?:using|by) (?:\S+ )?(?:list|rbl|dnsbl|spamhaus|spamcop)/,
  /(?:use|through) (?:the |your )?(?:isp'?s?|provider'?s?|internet service provider'?s?) (?:smtp|mail|outgoing)|smtp server of your isp|dial-?up|dynamic (?:ip|address|pool|range)|residential (?:ip|address|range)|end[- ]user (?:ip|network)|invalid ip for sending|too many unwanted messages|unwanted messages have been sent from|messages from \S+ (?:weren't|were not) sent|service refused|not accepting connections|(?:mail|messages) from \S+ (?:refused|rejected|temporarily deferred|deferred)/,
];

/** Refusals that name no cause: read after every specific table. */
const BLOCKED_WEAK = [/\bblocked\b|\bbanned\b|your ip\b|poor reputation/];
const REJECTED_WEAK = [/access denied|not authori[sz]ed to send/];

/** The sender's reputation (IP or domain) is too low, by the provider's own measure. */
const BAD_REPUTATION = [/unexpected volume|user complaints|(?:poor|low|bad) (?:ip |domain |sender |sending )?reputation|reputation (?:of|is)|ip reputation|sender reputation|domain reputation/];

/** A policy of the receiving side refused the message (not spam, not authentication). */
const POLICY_VIOLATION = [
  /(?:local|security|content|site|mail|email|our|organization's|organisation's|company|message) polic(?:y|ies)|polic(?:y|ies) (?:violation|reasons|restrictions?|rejection|block)|violat\w* (?:of )?(?:our |the )?(?:policy|policies|terms)|prohibited|not (?:permitted|allowed) by (?:policy|the administrator)|(?:attachment|file) (?:type|extension)s? (?:not allowed|is not allowed|prohibited|rejected|blocked)|(?:has|contains) (?:a )?(?:forbidden|banned|blocked|prohibited)|banned (?:attachment|file)|rejected by (?:the )?(?:recipient's )?(?:administrator|policy)/,
];

/** A refusal that names policy as its reason, read before the sender and recipient tables. */
const POLICY_STATED = [/(?:for|due to|by|per) (?:local |security |content |site |our |the )?polic(?:y|ies)\b(?: reasons)?|policy (?:violation|reasons)|content presents a potential security issue/];

/** Relaying refused: the server will not deliver to a domain it does not serve. */
const NO_RELAYING = [/relay(?:ing)? (?:access )?(?:denied|not (?:permitted|allowed|authorized)|prohibited|refused)|(?:not|isn't) (?:permitted|allowed|authorized) to relay|unable to relay|cannot relay|we do not relay|no relaying|relay not permitted|open relay|not a gateway|not configured to relay|relay (?:mail )?(?:is )?not (?:allowed|permitted)/];

/**
 * The server will not accept mail at all (null MX, RFC 7505; "does not accept mail"), or the domain
 * names no host to deliver to (qmail's "couldn't find a mail exchanger or IP address", #5.4.4; a
 * domain that does not exist is qmail's "couldn't find any host named", #5.1.2, HOST_UNKNOWN).
 */
const NOT_ACCEPT = [/null mx|(?:couldn't|could not|cannot|can't|unable to) find (?:a|any) mail exchanger|does not accept (?:any )?(?:e-?)?mail|(?:not|no longer) accepting (?:any )?(?:e-?)?mail|accepts no (?:e-?)?mail|mail is not accepted|domain (?:does not|doesn't) (?:accept|receive) (?:e-?)?mail|no mail (?:is )?accepted/];

/** The message could not be delivered in time and the sender gave up (X.4.7). */
const EXPIRED = [
  /(?:delivery|retry|message) (?:time ?out|timeout|time (?:limit )?expired|expired|period expired)|(?:time|retry) (?:limit )?(?:exceeded|expired)|(?:has been|was|been) (?:in the )?(?:queue|queued|delayed) (?:too long|for \d+|for more than)|(?:could not|couldn't|cannot|unable to) (?:be )?deliver\w* .{0,40}(?:for|within|in|after) (?:the last |over )?(?:\d+|\w+) (?:days?|hours?|minutes?|seconds?)|(?:gave|giving|given) up (?:after|on (?:the |this |your )?(?:message|delivery))|message expired|expired after|too long in (?:the )?queue|maximum (?:queue|delivery) time|undeliverable for \d+|retry period|not (?:been )?delivered (?:for|within|in) (?:the last )?\d+|delivery attempts? (?:will continue|has failed for)|will (?:continue trying|keep trying|retry)|still (?:trying|undelivered)|could not be delivered in time|queue time|did not accept our requests? to connect|(?:hosts? )?(?:have|has) been failing for a long time|will be retried for|envelope expired|(?:unable to|could not|couldn't) deliver (?:this |the |your )?message after \d+|(?:has been|was) in (?:the )?queue too long|(?:warning|delay)(?:ed)?: (?:message|mail) (?:still )?(?:undelivered|delayed)|delivery (?:is |has been )?delayed|not yet been delivered|aborted after [\d.]+ (?:hour|day|minute)/,
];

/**
 * The connection to the receiving host failed (timed out, refused, unreachable). Connection failures
 * are temporary by nature: the sending MTA retries them, so a report of one is the end of the
 * retries, "expired" (sisimai's reading too), not a network diagnosis. A routing failure ("No route
 * to host") and a session that broke once open ("lost connection with ... while ...") say what went
 * wrong on the way: NETWORK_ERROR.
 */
const CONNECTION_FAILURE = [
  /connection (?:timed out|timeout|refused|reset|closed|lost|dropped|failure|failed|error|attempt failed)|(?:timed out|timeout) (?:while|during|waiting|connecting|reading|after)|(?:unable to connect|could not connect|couldn't connect|can't connect|cannot connect|failed to connect|not reachable|unreachable)|remote (?:host|server) (?:did not respond|not responding|closed)|no answer from|host is down|socket error/,
];

/** The way to the receiving host failed: routing, loops, DNS trouble, broken sessions. */
const NETWORK_ERROR = [
  /network (?:is )?(?:unreachable|error|down)|no route to host|lost connection with|(?:mail|routing|delivery) loop|message is looping|too many hops|hop count exceeded|loops back to myself|name server (?:timeout|failure)|dns (?:timeout|failure|server failure|temporary)|temporary (?:dns|lookup) failure|servfail|broken pipe|tls .{0,20}(?:timeout|reset)|read error|write error|protocol error|unexpected (?:end|eof)|conversation with .{0,40} timed out|routing (?:error|failure|status)|network or routing/,
];

/** Too many connections or messages too fast from the sender. */
const TOO_MANY_CONN = [/too many recipients|connection frequency|(?:connections?|sessions?) (?:limit(?:ed)?|exceeded)|too many (?:connections|concurrent|simultaneous|sessions|smtp sessions|open connections)|connection (?:limit|rate limit)|maximum (?:number of )?connections|too many connections from your/];

/** Sending too fast: rate limits, "try again later" throttles. */
const SPEEDING = [/rate limit|rate-limit|ratelimit|(?:too many|exceeded (?:the )?(?:maximum )?(?:number of )?)(?: messages| mails| emails)|sending (?:rate|limit|quota)|(?:message|mail) rate|throttl|too fast|slow down|sent too many|receiving mail at a rate|exceeded .{0,20}(?:hourly|daily|per hour|per day)/];

/** The receiving system failed: its own error. */
const SYSTEM_ERROR = [
  /(?:system|server|internal|local|unexpected|mail (?:system|server)|configuration|software|database|processing) (?:error|failure|problem|fault)|duplicated message-id|loop alert|(?:could not|couldn't|failed to|unable to) load\b|(?:local )?configuration error|server (?:is )?(?:busy|overloaded)|(?:service|server|system) (?:is )?(?:currently |temporarily )?(?:unavailable|not available)|temporarily unavailable|try again later|(?:system|server) (?:is )?(?:down|not ready)|resources temporarily|requested action aborted|error in processing|transaction failed|unable to (?:process|deliver) (?:the |your )?(?:message|mail) (?:at this time|now)|relay (?:failure|error)|delivery (?:failure|failed)? (?:due to|because of) (?:a )?(?:system|server|internal)|not (?:ready|available)|timeout exceeded|(?:could not|cannot|unable to) (?:write|create|open)|i\/o error|malformed (?:response|reply)/,
];

/** The receiving system's storage is full (not one mailbox's quota). */
const SYSTEM_FULL = [/insufficient (?:system|disk) (?:storage|resources|space)|(?:disk|file ?system|spool|queue|server|system) (?:is )?(?:full|out of (?:space|storage))|out of (?:disk )?space|no space left/];

/** The local delivery program failed (procmail, a pipe, a filter script). */
const MAILER_ERROR = [/mailer (?:error|failed|failure)|(?:command|program|pipe|procmail|maildrop|deliver) (?:died|failed|exited|returned|crashed|terminated|error)|exit (?:code|status)|\bsh:|\|\s*\/|unknown mailer|mailer .{0,30} not (?:found|available)|(?:died|killed) (?:with|by) signal|local delivery failed/];

/** The SMTP exchange broke the protocol (bad command, bad sequence, bad syntax). */
const SYNTAX_ERROR = [/malformed address|parameter not implemented|syntax error|command (?:not )?(?:recognized|unrecognized|not implemented|rejected)|unrecognized command|bad sequence of commands|invalid (?:command|argument|parameter)|(?:line|command) too long|parameter not recognized|protocol violation|smtp protocol|syntax (?:of|in) (?:address|parameter|argument)/];

/** The message broke RFC 5322 or RFC 5321 (headers, line length, bare LF). */
const NOT_COMPLIANT_RFC = [/(?:not|non-?) ?(?:rfc|standards?)[- ]?(?:\d{3,4} )?complian|rfc ?(?:2822|5322|822|5321|2821|1123) (?:complian|violat|standard|require|section|\d)|(?:conform|comply|compliant) (?:to|with) (?:the )?rfc|(?:multiple|duplicate|missing|malformed|invalid|too many) (?:from|date|message-id|to|subject|sender|mime) (?:headers?|fields?)|(?:header|headers) (?:is|are) (?:malformed|invalid|missing)|multiple addresses in (?:the )?from:? header|bare (?:lf|linefeed|cr)\b|message is not (?:rfc|standards)|8bit data|invalid (?:mime|header)/];

/** The content itself is unacceptable (not spam: malformed MIME, forbidden characters). */
const CONTENT_ERROR = [/headers? (?:too large|too long|exceed)|content (?:error|not (?:allowed|acceptable))|message (?:content|body) (?:is )?(?:invalid|malformed|unacceptable)|(?:invalid|malformed) (?:content|body|mime)|contains (?:invalid|illegal|forbidden) (?:characters|content)|(?:message|mail) (?:is )?(?:corrupt|malformed)/];

/**
 * A secure channel or login was required, or the client was not trusted (auth required, certificate),
 * or sendmail's access map refused it ("550 5.7.1 <a@b>... Access denied", the access_db REJECT answer).
 */
const SECURITY_ERROR = [/>?\.\.\. ?access denied|turn on smtp auth|unauthenticated senders? (?:not allowed|rejected|denied)|(?:authentication|authorization|auth|login|smtp auth) (?:is )?(?:required|needed|mandatory|failed|failure|unsuccessful)|(?:must|need to|please) (?:authenticate|log ?in|use smtp auth)|not (?:authorized|authenticated|permitted to send)|relay access denied for unauthenticated|(?:invalid|bad|unknown) (?:credentials|password|username)|certificate (?:error|verify|verification|expired|invalid|not trusted)|encryption (?:required|needed)|(?:must|should) (?:use|issue) (?:tls|ssl|a starttls)/];

/** STARTTLS failed or was required and could not be done. */
const FAILED_STARTTLS = [/(?:does not|doesn't) support (?:tls|starttls)|starttls (?:is )?(?:required|failed|failure|negotiation|not (?:available|supported|offered))|tls (?:is )?(?:required|handshake (?:failed|failure)|negotiation failed|not available|connection failed)|(?:must|need to) (?:issue|use) (?:a )?starttls|failed to (?:start|establish) tls/];

/** A delivery report that is not a failure. */
const DELIVERED = [/successfully delivered|delivery (?:was )?successful|(?:message|mail) (?:was )?delivered to|delivered to (?:the )?(?:mailbox|recipient)|relayed to/];

/**
 * The tables in the order they are tried. Specific before general: authentication and rDNS before
 * blocks (their replies often also say "rejected" or "blocked"), sender rejections before unknown
 * users (both say "address rejected"), the mailbox's state before "user unknown" (a disabled account
 * is said to be "unavailable"), giving up after retries before what the retries met (a report that
 * gave up on a timed-out host is "expired"), size and virus before spam, and the weakest words
 * (generic blocks, policy, system errors) last.
 */
export const PHRASE_TABLE: PhraseTable = [
  ['failedstarttls', FAILED_STARTTLS],
  ['authfailure', AUTH_FAILURE],
  ['badreputation', BAD_REPUTATION],
  ['requireptr', REQUIRE_PTR],
  ['notaccept', NOT_ACCEPT],
  ['norelaying', NO_RELAYING],
  ['hasmoved', HAS_MOVED],
  ['systemfull', SYSTEM_FULL],
  ['contenterror', CONTENT_ERROR],
  ['mailboxfull', MAILBOX_FULL],
  ['exceedlimit', EXCEED_LIMIT],
  ['mesgtoobig', MESG_TOO_BIG],
  ['suspend', SUSPEND],
  ['filtered', FILTERED],
  ['policyviolation', POLICY_STATED],
  ['blocked', PROVIDER_BLOCK_CODE],
  ['rejected', REJECTED],
  ['networkerror', DNS_TEMPORARY],
  ['hostunknown', HOST_UNKNOWN],
  ['userunknown', USER_UNKNOWN],
  ['mailboxfull', MAILBOX_FULL_OTHER_LANGUAGES],
  ['userunknown', USER_UNKNOWN_OTHER_LANGUAGES],
  ['expired', EXPIRED],
  ['virusdetected', VIRUS],
  ['toomanyconn', TOO_MANY_CONN],
  ['spamdetected', URI_BLOCKLIST],
  ['blocked', BLOCKED],
  ['spamdetected', SPAM],
  ['speeding', SPEEDING],
  ['securityerror', SECURITY_ERROR],
  ['notcompliantrfc', NOT_COMPLIANT_RFC],
  ['policyviolation', POLICY_VIOLATION],
  ['blocked', BLOCKED_WEAK],
  ['rejected', REJECTED_WEAK],
  ['mailererror', MAILER_ERROR],
  ['syntaxerror', SYNTAX_ERROR],
  ['expired', CONNECTION_FAILURE],
  ['networkerror', NETWORK_ERROR],
  ['systemerror', SYSTEM_ERROR],
  ['delivered', DELIVERED],
];
