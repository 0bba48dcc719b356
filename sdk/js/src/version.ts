/** Kept equal to package.json's version by a test, so it needs no JSON import in both builds. */
export const VERSION = '0.1.0';
