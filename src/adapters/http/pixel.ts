/** The 43-byte transparent 1x1 GIF answered for every open pixel request. */
export const TRANSPARENT_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');

/** An email must never show a stale or shared copy of the pixel: every fetch has to reach us. */
export const NO_STORE_HEADERS = {
  'cache-control': 'no-store, no-cache, must-revalidate, private, max-age=0',
  pragma: 'no-cache',
  expires: '0',
} as const;
