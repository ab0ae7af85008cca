/**
 * Characters that must not reach a terminal or a log line unchanged: C0 and C1 control
 * characters, DEL, line and paragraph separators, and format characters such as the bidi
 * override U+202E, which can hide or reorder what an administrator reads.
 */
export const unsafeCharacters = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

const unsafeCharactersGlobal = new RegExp(unsafeCharacters.source, 'gu');

/**
 * Replaces every unsafe character with a visible escape, `\xNN` below U+0100 and `\u{NNNN}`
 * above, so text from the server cannot move the cursor, clear the screen or fake a row.
 * Characters in `keep`, such as newline and tab for a multi-line text, stay as they are.
 */
export function escapeUnsafe(text: string, keep = ''): string {
  return text.replace(unsafeCharactersGlobal, (char) => {
    if (keep.includes(char)) return char;
    const code = char.codePointAt(0)!;
    const hex = code.toString(16).toUpperCase();
    return code < 0x100 ? `\\x${hex.padStart(2, '0')}` : `\\u{${hex}}`;
  });
}
