/** sneakpack's own version, recorded in every bundle manifest. Keep in step with package.json (a test checks). */
export const VERSION = '0.1.0';
