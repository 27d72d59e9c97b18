/**
 * The option lines of a help text, read back: `--help` is written for people, and completion
 * scripts and the man page take each flag's description and value from it, so that the three
 * cannot say different things.
 */

export type HelpEntry = {
  /** The flags the line names, as typed: "--listen", "-F". */
  readonly flags: readonly string[];
  /** The value's placeholder ("ADDR", "yes|no"), if the flag takes one. */
  readonly value?: string;
  readonly description: string;
};

/** A value's placeholder: FILE, [HOST:]PORT, OPTION=VALUE, yes|no, default|none. */
const _PLACEHOLDER = /^(?:[A-Z[][A-Z0-9_@:[\]=.|-]*|[a-z0-9-]+(?:\|[a-z0-9-]+)+)$/;

export function helpEntries(text: string): HelpEntry[] {
  const lines = text.split("\n");
  const entries: HelpEntry[] = [];
  lines.forEach((line, i) => {
    if (!/^ {2}-[^ ]/.test(line)) return;
    const entry = _entry(line.slice(2), lines[i + 1] ?? "");
    if (entry) entries.push(entry);
  });
  return entries;
}

/** One option line: flags (with their placeholders) up to the first word of description. */
function _entry(line: string, next: string): HelpEntry | undefined {
  const words = line.split(/(?<=,) +| +/);
  const flags: string[] = [];
  let value: string | undefined;
  let at = 0;
  for (; at < words.length; at++) {
    const word = words[at]!.replace(/,$/, "");
    const flag = /^(--?[A-Za-z0-9][\w-]*)(?:=(\S+))?$/.exec(word);
    if (flag) {
      flags.push(flag[1]!);
      if (flag[2]) value ??= flag[2];
    } else if (flags.length && _PLACEHOLDER.test(word)) value ??= word;
    else break;
  }
  if (!flags.length) return undefined;
  const description = at < words.length
    ? words.slice(at).join(" ")
    : (/^ {6,}(\S.*)$/.exec(next)?.[1] ?? "");
  return value === undefined ? { flags, description } : { flags, value, description };
}

/** The choices a placeholder lists: "yes|no" gives yes and no; "FILE" gives none. */
export function valueChoices(value: string | undefined): string[] {
  if (!value || !value.includes("|")) return [];
  return value.split("|").filter((v) => /^[a-z0-9-]+$/.test(v));
}
