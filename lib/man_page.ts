/**
 * sockhop(1) in roff, made from the same help texts `--help` prints: a term line of two-space
 * indent ("  --listen=ADDR   ...", "  exec:COMMAND   ...") becomes a tagged paragraph, its
 * deeper-indented lines its description, any other line plain text.
 */

import type { CommandSpec } from "./completion.ts";

/** Text safe in roff: a backslash is \e, a line must not start with . or ', a dash is \-. */
function _roff(text: string): string {
  const escaped = text.replaceAll("\\", "\\e").replaceAll("-", "\\-");
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

/** A term ("--listen=ADDR", "exec:COMMAND [ARGS...]") with the flag in bold. */
function _term(term: string): string {
  return term.split(/(?<=, )/).map((part) => {
    const m = /^(--?[\w-]+)(.*)$/.exec(part);
    return m ? `\\fB${_roff(m[1]!)}\\fR${_roff(m[2]!)}` : _roff(part);
  }).join("");
}

/** One help text, from its first blank line on (the usage lines go to SYNOPSIS). */
function _body(help: string): string[] {
  const out: string[] = [];
  for (const line of help.split("\n")) {
    const term = /^ {2}(\S.*?)(?: {2,}(\S.*))?$/.exec(line);
    const more = /^ {4,}(\S.*)$/.exec(line);
    if (!line.trim()) out.push(".PP");
    else if (more && out.length && !/^\.(PP|br)$/.test(out.at(-1)!)) out.push(_roff(more[1]!));
    else if (term) out.push(".TP", _term(term[1]!), ...(term[2] ? [_roff(term[2])] : []));
    else out.push(_roff(line.trim()), ".br");
  }
  return out;
}

export function manPage(
  specs: readonly CommandSpec[],
  help: Readonly<Record<string, string>>,
  version: string,
): string {
  const [title, ...rest] = help.main!.split("\n");
  const usageEnd = rest.findIndex((line, i) => i > 1 && !line.trim());
  const usage = rest.slice(0, usageEnd).filter((l) => /^ {2}sockhop /.test(l));
  const lines = [
    `.TH SOCKHOP 1 "" "sockhop ${version}" "User Commands"`,
    ".SH NAME",
    `sockhop \\- ${_roff(title!.replace(/^[^:]*:\s*/, ""))}`,
    ".SH SYNOPSIS",
    ".nf",
    ...usage.map((l) => _roff(l.trim().split(/ {2,}/)[0]!)),
    ".fi",
    ".SH DESCRIPTION",
    ..._body(rest.slice(usageEnd).join("\n")),
    ".SH COMMANDS",
  ];
  for (const c of specs) {
    lines.push(`.SS "sockhop ${c.name}"`, ..._body(help[c.name] ?? c.summary));
  }
  lines.push(".SH SEE ALSO", "\\fBssh\\fR(1), \\fBssh_config\\fR(5), \\fBxpra\\fR(1)");
  return lines.join("\n").replace(/(\.PP\n)+/g, ".PP\n") + "\n";
}
