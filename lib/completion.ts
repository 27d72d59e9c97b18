/**
 * Shell completion for bash, zsh, fish and PowerShell, made from the commands' flag tables
 * and help texts (cli/command_specs.ts), so a flag added to a command completes at once.
 */

import { valueChoices } from "./help_entries.ts";

export type FlagSpec = {
  /** As typed: "--listen", "-F". */
  readonly names: readonly string[];
  /** The placeholder of the value it takes ("ADDR", "yes|no"); absent for a switch. */
  readonly value?: string;
  readonly description: string;
};
export type CommandSpec = {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
};

export const SHELLS = ["bash", "zsh", "fish", "powershell"] as const;
export type Shell = typeof SHELLS[number];

export function completionScript(shell: Shell, specs: readonly CommandSpec[]): string {
  switch (shell) {
    case "bash":
      return _bash(specs);
    case "zsh":
      return _zsh(specs);
    case "fish":
      return _fish(specs);
    case "powershell":
      return _powershell(specs);
  }
}

/** Whether a value is a path: FILE, KEY, PATH, DIRS. */
function _isPath(value: string | undefined): boolean {
  return /FILE|KEY|PATH|DIRS/.test(value ?? "");
}

function _sq(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function _bash(specs: readonly CommandSpec[]): string {
  const cases = specs.map((c) => {
    const opts = c.flags.flatMap((f) =>
      f.names.map((n) => n.startsWith("--") && f.value ? `${n}=` : n)
    );
    const values = c.flags.filter((f) => f.value).map((f) => {
      const action = valueChoices(f.value).length
        ? `COMPREPLY=($(compgen -W ${_sq(valueChoices(f.value).join(" "))} -- "$cur"))`
        : _isPath(f.value)
        ? `COMPREPLY=($(compgen -f -- "$cur"))`
        : "COMPREPLY=()";
      return `      ${f.names.join("|")}) ${action}; return ;;`;
    });
    return `    ${c.name})\n      opts=${_sq(opts.join(" "))}\n      case $flag in\n${
      values.join("\n")
    }\n      esac ;;`;
  });
  return `# bash completion for sockhop: eval "$(sockhop completion bash)"
_sockhop() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} flag= opts=
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${_sq(specs.map((c) => c.name).join(" "))} -- "$cur"))
    return
  fi
  # "=" breaks words: --ssh=op arrives as --ssh, =, op
  if [ "$cur" = "=" ]; then flag=$prev cur=
  elif [ "$prev" = "=" ]; then flag=\${COMP_WORDS[COMP_CWORD-2]}
  elif [ "$COMP_CWORD" -gt 2 ]; then flag=$prev
  fi
  case \${COMP_WORDS[1]} in
${cases.join("\n")}
  esac
  case $cur in
    -*)
      COMPREPLY=($(compgen -W "$opts" -- "$cur"))
      [ "\${#COMPREPLY[@]}" -eq 1 ] && [ "\${COMPREPLY[0]%=}" != "\${COMPREPLY[0]}" ] && compopt -o nospace
      ;;
    *) COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
}
complete -F _sockhop sockhop
`;
}

/** Text inside a zsh _arguments spec: [ ] : \\ and ' are special there. */
function _zq(text: string): string {
  return text.replace(/[[\]:\\]/g, "\\$&").replaceAll("'", "'\\''");
}

function _zsh(specs: readonly CommandSpec[]): string {
  const commands = specs.map((c) => `    '${_zq(c.name)}:${_zq(c.summary)}'`).join("\n");
  const cases = specs.map((c) => {
    const args = c.flags.flatMap((f) =>
      f.names.map((n) => {
        const action = !f.value
          ? ""
          : `:${_zq(f.value)}:${
            valueChoices(f.value).length
              ? `(${valueChoices(f.value).join(" ")})`
              : _isPath(f.value)
              ? "_files"
              : " "
          }`;
        const spec = f.value ? (n.startsWith("--") ? `${n}=` : `${n}+`) : n;
        return `'*${spec}[${_zq(f.description)}]${action}'`;
      })
    );
    return `    ${c.name}) _arguments -s -S \\\n      ${
      [...args, `'*:argument:_files'`].join(" \\\n      ")
    } ;;`;
  });
  return `#compdef sockhop
# zsh completion for sockhop: sockhop completion zsh > "\${fpath[1]}/_sockhop"
_sockhop() {
  local -a commands
  commands=(
${commands}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'sockhop command' commands
    return
  fi
  local command=$words[2]
  shift words
  (( CURRENT-- ))
  case $command in
${cases.join("\n")}
  esac
}
if [ "$funcstack[1]" = "_sockhop" ]; then _sockhop "$@"; else compdef _sockhop sockhop; fi
`;
}

function _fish(specs: readonly CommandSpec[]): string {
  const lines = [
    "# fish completion for sockhop: sockhop completion fish > ~/.config/fish/completions/sockhop.fish",
    "complete -c sockhop -f",
    ...specs.map((c) =>
      `complete -c sockhop -n __fish_use_subcommand -a ${c.name} -d ${_sq(c.summary)}`
    ),
  ];
  for (const c of specs) {
    const when = `-n ${_sq(`__fish_seen_subcommand_from ${c.name}`)}`;
    lines.push(`complete -c sockhop ${when} -F`);
    for (const f of c.flags) {
      const names = f.names.map((n) =>
        n.startsWith("--") ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`
      );
      const choices = valueChoices(f.value);
      const value = !f.value
        ? ""
        : choices.length
        ? ` -x -a ${_sq(choices.join(" "))}`
        : _isPath(f.value)
        ? " -r -F"
        : " -x";
      lines.push(`complete -c sockhop ${when} ${names.join(" ")}${value} -d ${_sq(f.description)}`);
    }
  }
  return lines.join("\n") + "\n";
}

function _pq(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function _powershell(specs: readonly CommandSpec[]): string {
  const table = specs.map((c) => {
    const flags = c.flags.flatMap((f) =>
      f.names.map((n) => n.startsWith("--") && f.value ? `${n}=` : n)
    );
    return `    ${_pq(c.name)} = @(${flags.map(_pq).join(", ")})`;
  });
  return `# PowerShell completion for sockhop: sockhop completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName sockhop, sockhop.exe -ScriptBlock {
  param($wordToComplete, $commandAst, $cursorPosition)
  $commands = [ordered]@{
${table.join("\n")}
  }
  $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })
  if ($words.Count -lt 2 -or ($words.Count -eq 2 -and $wordToComplete)) {
    $candidates = $commands.Keys
  } else {
    $candidates = $commands[$words[1]]
  }
  $candidates | Where-Object { $_ -like "$wordToComplete*" } | ForEach-Object {
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }
}
`;
}
