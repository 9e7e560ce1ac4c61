import { writeAttributeValue } from './attribute-value.js';
import type { Landmarks } from './html-scan.js';

/** The honeypot's link ordinal: real links count from 1, so no link occurrence has it. */
export const HONEYPOT_ORDINAL = 0;

/**
 * A link no person can see, reach with the keyboard or hear from a screen
 * reader, so a click on it comes from a scanner following every href. The
 * wrapper hides it in clients that drop styles on links (`mso-hide` is
 * Outlook's); the link itself is empty so nothing shows even if both fail.
 */
export function honeypotMarkup(honeypotUrl: string): string {
  const href = writeAttributeValue(honeypotUrl, '"').value;
  return '<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;" aria-hidden="true">' +
    `<a href="${href}" tabindex="-1" aria-hidden="true" ` +
    'style="display:none!important;mso-hide:all;font-size:0;line-height:0;max-height:0;overflow:hidden;opacity:0;color:transparent;"></a>' +
    '</div>';
}

/**
 * Right after `<body ...>`, ahead of the real links, so a scanner walking the
 * document meets it first. Without a body tag, after the doctype, `<html>` and
 * `</head>` rather than at offset 0: markup before the doctype would put the
 * message in quirks mode and change its layout.
 */
export function honeypotPosition(landmarks: Landmarks): number {
  return landmarks.bodyOpenEnd ?? landmarks.prologueEnd;
}
