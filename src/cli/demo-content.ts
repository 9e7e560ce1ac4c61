/**
 * The demo's newsletter, a recurring campaign: two issues a week apart, each a table layout as email
 * builders produce it, with an Outlook button, a text part and dynamic-content blocks for the
 * contacts' plan (`data-condition="plan:subscriber"` and `"plan:free"`, read by core/content-conditions).
 */

export const DEMO_SUBJECT = 'The Hillside Coffee Journal: autumn harvest, brewing guide and 15% off';

/** The first issue. */
export const DEMO_HTML = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<title>The Hillside Coffee Journal</title>
<!--[if mso]><xml><o:OfficeDocumentSettings><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml><![endif]-->
<style type="text/css">
  body { margin:0; padding:0; background:#f3efe9; }
  .wrapper { width:100%; table-layout:fixed; }
  @media only screen and (max-width:600px) { .col { display:block !important; width:100% !important; } }
</style>
</head>
<body style="margin:0;padding:0;background:#f3efe9;">
<div style="display:none;max-height:0;overflow:hidden;">Fresh from the hills: this season's lots, a pour-over guide and a thank-you code.</div>
<table role="presentation" class="wrapper" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f3efe9">
  <tr><td align="center" style="padding:24px 12px;">
    <table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="background:#ffffff;border-radius:6px;">
      <tr><td style="padding:24px;text-align:center;">
        <a href="https://hillside-coffee.example/?utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=autumn"><img src="https://hillside-coffee.example/img/logo.png" width="160" alt="Hillside Coffee" style="display:block;margin:0 auto;border:0;" /></a>
      </td></tr>
      <tr><td style="padding:0 24px;">
        <h1 style="font-family:Georgia,serif;color:#3b2a1a;font-size:28px;">The autumn harvest is in</h1>
        <p style="font-family:Arial,sans-serif;color:#444;font-size:16px;line-height:24px;">
          Our growers in Huila and Sidamo finished picking last month. Three new single-origin lots are roasting this week,
          and we think the <a href="https://hillside-coffee.example/shop/huila-pink-bourbon?utm_campaign=autumn&amp;utm_content=text" style="color:#8a4b1f;">Huila Pink Bourbon</a> is the best coffee we have ever sold.
        </p>
      </td></tr>
      <tr><td align="center" style="padding:16px 24px;">
        <!--[if mso]>
        <v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" xmlns:w="urn:schemas-microsoft-com:office:word" href="https://hillside-coffee.example/shop/new-lots?utm_campaign=autumn&amp;utm_content=button" style="height:48px;v-text-anchor:middle;width:260px;" arcsize="10%" stroke="f" fillcolor="#8a4b1f">
          <w:anchorlock/><center style="color:#ffffff;font-family:Arial,sans-serif;font-size:16px;font-weight:bold;">Shop the new lots</center>
        </v:roundrect>
        <![endif]-->
        <!--[if !mso]><!-- -->
        <a href="https://hillside-coffee.example/shop/new-lots?utm_campaign=autumn&amp;utm_content=button" style="background:#8a4b1f;border-radius:4px;color:#ffffff;display:inline-block;font-family:Arial,sans-serif;font-size:16px;font-weight:bold;line-height:48px;text-align:center;text-decoration:none;width:260px;">Shop the new lots</a>
        <!--<![endif]-->
      </td></tr>
      <tr><td style="padding:8px 24px;">
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>
          <td class="col" width="50%" valign="top" style="padding:8px;">
            <a href="https://hillside-coffee.example/journal/pour-over-guide"><img src="https://hillside-coffee.example/img/pourover.jpg" width="260" alt="A pour-over guide in five steps" style="display:block;border:0;" /></a>
            <p style="font-family:Arial,sans-serif;font-size:14px;color:#444;"><a href="https://hillside-coffee.example/journal/pour-over-guide" style="color:#8a4b1f;">Read: the pour-over guide</a></p>
          </td>
          <td class="col" width="50%" valign="top" style="padding:8px;">
            <a href="https://hillside-coffee.example/journal/meet-the-growers"><img src="https://hillside-coffee.example/img/growers.jpg" width="260" alt="Meet the growers" style="display:block;border:0;" /></a>
            <p style="font-family:Arial,sans-serif;font-size:14px;color:#444;"><a href="https://hillside-coffee.example/journal/meet-the-growers" style="color:#8a4b1f;">Meet the growers</a></p>
          </td>
        </tr></table>
      </td></tr>
      <tr><td data-condition="plan:subscriber" style="padding:16px 24px;background:#fbf6ef;">
        <p style="font-family:Arial,sans-serif;font-size:15px;color:#3b2a1a;">Subscriber thank-you: <strong>15% off</strong> your next bag with code AUTUMN15.
        <a href="https://hillside-coffee.example/subscription/manage" style="color:#8a4b1f;">Manage your subscription</a></p>
      </td></tr>
      <tr><td data-condition="plan:free" style="padding:16px 24px;background:#fbf6ef;">
        <p style="font-family:Arial,sans-serif;font-size:15px;color:#3b2a1a;">Never run out: a bag every two weeks, <strong>free delivery</strong>, pause any time.
        <a href="https://hillside-coffee.example/subscription/start?utm_campaign=autumn" style="color:#8a4b1f;">Start a subscription</a></p>
      </td></tr>
      <tr><td style="padding:24px;font-family:Arial,sans-serif;font-size:12px;color:#888;text-align:center;">
        Hillside Coffee Roasters, 12 Quarry Lane, Bristol.<br />
        Questions? <a href="mailto:hello@hillside-coffee.example" style="color:#888;">hello@hillside-coffee.example</a> ·
        <a href="https://instagram.example/hillsidecoffee" style="color:#888;">Instagram</a> ·
        <a href="{{unsubscribe_url}}" style="color:#888;">Unsubscribe</a>
      </td></tr>
    </table>
  </td></tr>
</table>
</body>
</html>
`;

export const DEMO_TEXT = `THE HILLSIDE COFFEE JOURNAL

The autumn harvest is in. Three new single-origin lots are roasting this week.
Shop the new lots: https://hillside-coffee.example/shop/new-lots?utm_campaign=autumn&utm_content=textpart

Read the pour-over guide: https://hillside-coffee.example/journal/pour-over-guide

Hillside Coffee Roasters, 12 Quarry Lane, Bristol.
`;

/** The second issue, a week later: the lead article and the offer changed, the guide and the blocks stayed. */
export const DEMO_SUBJECT_2 = 'The Hillside Coffee Journal: winter blends, the grinder guide and a holiday box';

export const DEMO_HTML_2 = `<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<title>The Hillside Coffee Journal</title>
</head>
<body style="margin:0;padding:0;background:#f3efe9;">
<div style="display:none;max-height:0;overflow:hidden;">Two winter blends, the grinder guide and a box to give.</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f3efe9">
  <tr><td align="center" style="padding:24px 12px;">
    <table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="background:#ffffff;border-radius:6px;">
      <tr><td style="padding:24px;text-align:center;">
        <a href="https://hillside-coffee.example/?utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=winter"><img src="https://hillside-coffee.example/img/logo.png" width="160" alt="Hillside Coffee" style="display:block;margin:0 auto;border:0;" /></a>
      </td></tr>
      <tr><td style="padding:0 24px;">
        <h1 style="font-family:Georgia,serif;color:#3b2a1a;font-size:28px;">Two blends for the dark evenings</h1>
        <p style="font-family:Arial,sans-serif;color:#444;font-size:16px;line-height:24px;">
          The <a href="https://hillside-coffee.example/shop/fireside-blend?utm_campaign=winter&amp;utm_content=text" style="color:#8a4b1f;">Fireside blend</a> is back,
          with a new decaf beside it for after dinner.
        </p>
      </td></tr>
      <tr><td align="center" style="padding:16px 24px;">
        <a href="https://hillside-coffee.example/shop/holiday-box?utm_campaign=winter&amp;utm_content=button" style="background:#8a4b1f;border-radius:4px;color:#ffffff;display:inline-block;font-family:Arial,sans-serif;font-size:16px;font-weight:bold;line-height:48px;text-align:center;text-decoration:none;width:260px;">Give the holiday box</a>
      </td></tr>
      <tr><td style="padding:8px 24px;">
        <p style="font-family:Arial,sans-serif;font-size:14px;color:#444;"><a href="https://hillside-coffee.example/journal/grinder-guide" style="color:#8a4b1f;">Read: choosing a grinder</a> ·
        <a href="https://hillside-coffee.example/journal/pour-over-guide" style="color:#8a4b1f;">The pour-over guide, again</a></p>
      </td></tr>
      <tr><td data-condition="plan:subscriber" style="padding:16px 24px;background:#fbf6ef;">
        <p style="font-family:Arial,sans-serif;font-size:15px;color:#3b2a1a;">Subscribers: add the holiday box to your next delivery at <strong>20% off</strong>.
        <a href="https://hillside-coffee.example/subscription/manage?add=holiday-box" style="color:#8a4b1f;">Add it to my delivery</a></p>
      </td></tr>
      <tr><td data-condition="plan:free" style="padding:16px 24px;background:#fbf6ef;">
        <p style="font-family:Arial,sans-serif;font-size:15px;color:#3b2a1a;">Subscribe before December and the first bag is on us.
        <a href="https://hillside-coffee.example/subscription/start?utm_campaign=winter" style="color:#8a4b1f;">Start a subscription</a></p>
      </td></tr>
      <tr><td style="padding:24px;font-family:Arial,sans-serif;font-size:12px;color:#888;text-align:center;">
        Hillside Coffee Roasters, 12 Quarry Lane, Bristol.<br />
        <a href="https://instagram.example/hillsidecoffee" style="color:#888;">Instagram</a> ·
        <a href="{{unsubscribe_url}}" style="color:#888;">Unsubscribe</a>
      </td></tr>
    </table>
  </td></tr>
</table>
</body>
</html>
`;

export const DEMO_TEXT_2 = `THE HILLSIDE COFFEE JOURNAL

Two blends for the dark evenings: https://hillside-coffee.example/shop/fireside-blend?utm_campaign=winter&utm_content=textpart

Hillside Coffee Roasters, 12 Quarry Lane, Bristol.
`;

const FIRST = ['Ann', 'Ben', 'Chloé', 'Dmitri', 'Eva', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Liam', 'Maya', 'Noah', 'Olga', 'Pablo', 'Quinn', 'Rosa', 'Sami', 'Tess'];
const LAST = ['Archer', 'Baker', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Moreau', 'Novak', 'Okafor', 'Petit'];
const DOMAINS = ['gmail.example', 'outlook.example', 'icloud.example', 'yahoo.example', 'corp.example', 'fastmail.example'];

export interface DemoContact {
  email: string;
  attributes: { firstName: string; lastName: string; plan: string };
}

/** Deterministic contacts: the demo prints the same kind of table every run. */
export function demoContacts(count: number): DemoContact[] {
  return Array.from({ length: count }, (_, i) => {
    const firstName = FIRST[i % FIRST.length]!;
    const lastName = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const domain = DOMAINS[i % DOMAINS.length]!;
    return {
      email: `${firstName.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase()}.${lastName.toLowerCase()}${i}@${domain}`,
      attributes: { firstName, lastName, plan: i % 3 === 0 ? 'subscriber' : 'free' },
    };
  });
}
