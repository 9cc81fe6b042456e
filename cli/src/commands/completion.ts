import { Argument, type Command } from 'commander';
import { act, type Registrar } from './common.ts';

interface Node {
  path: string[];
  subcommands: Array<{ name: string; summary: string }>;
  options: string[];
  choices: string[];
}

/** Every command path with its subcommands, options and argument choices. */
function walk(command: Command, path: string[] = [], out: Node[] = []): Node[] {
  const visible = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const args = (command as unknown as { registeredArguments?: Argument[] }).registeredArguments ?? [];
  out.push({
    path,
    subcommands: visible.map((c) => ({ name: c.name(), summary: c.summary() || c.description() })),
    options: [...command.options.map((o) => o.long).filter((o): o is string => Boolean(o)), '--help'],
    choices: args.flatMap((a) => a.argChoices ?? []),
  });
  for (const sub of visible) walk(sub, [...path, sub.name()], out);
  return out;
}

const globalOptions = (program: Command) => program.options.map((o) => o.long).filter((o): o is string => Boolean(o));

function bash(program: Command): string {
  const nodes = walk(program);
  const globals = globalOptions(program).join(' ');
  const cases = nodes
    .map((n) => `    "${n.path.join(' ')}") subs="${n.subcommands.map((s) => s.name).join(' ')}"; words="$subs ${[...n.choices, ...(n.path.length ? n.options : [])].join(' ')} ${globals}" ;;`)
    .join('\n');
  return `# orbitctl completion for bash: source <(orbitctl completion bash)
_orbitctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" subs words i w
  _orbitctl_words() {
    case "$1" in
${cases}
    *) subs=""; words="${globals}" ;;
    esac
  }
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    _orbitctl_words "$path"
    if [[ " $subs " == *" $w "* ]]; then path="\${path:+$path }$w"; fi
  done
  _orbitctl_words "$path"
  case "\${COMP_WORDS[COMP_CWORD-1]}" in
    -o|--output) words="table json yaml" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -F _orbitctl orbitctl kubectl-orbit
`;
}

function zsh(program: Command): string {
  return `#compdef orbitctl kubectl-orbit
# orbitctl completion for zsh: source <(orbitctl completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(program)}`;
}

function fish(program: Command): string {
  const nodes = walk(program);
  const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const lines = ['# orbitctl completion for fish: orbitctl completion fish | source', 'complete -c orbitctl -f'];
  lines.push(`complete -c orbitctl -s o -l output -x -a 'table json yaml' -d 'output format'`);
  for (const node of nodes) {
    const cond = node.path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${node.path.at(-1)}`;
    for (const sub of node.subcommands) lines.push(`complete -c orbitctl -n ${quote(cond)} -a ${quote(sub.name)} -d ${quote(sub.summary)}`);
    if (node.path.length) {
      for (const opt of node.options) lines.push(`complete -c orbitctl -n ${quote(cond)} -l ${opt.replace(/^--/, '')}`);
      if (node.choices.length) lines.push(`complete -c orbitctl -n ${quote(cond)} -a ${quote(node.choices.join(' '))}`);
    }
  }
  for (const opt of globalOptions(program)) if (opt !== '--output') lines.push(`complete -c orbitctl -l ${opt.replace(/^--/, '')}`);
  return `${lines.join('\n')}\n`;
}

export function registerCompletion({ program, io }: Registrar) {
  program
    .command('completion')
    .summary('shell completion: bash, zsh or fish')
    .description('Prints a completion script. bash: `source <(orbitctl completion bash)`; zsh: `source <(orbitctl completion zsh)`; fish: `orbitctl completion fish | source`. Add the line to your shell\'s rc file to keep it.')
    .addArgument(new Argument('<shell>').choices(['bash', 'zsh', 'fish']))
    .action(
      act(io, async (cli, shell: 'bash' | 'zsh' | 'fish') => {
        cli.io.stdout.write(shell === 'bash' ? bash(program) : shell === 'zsh' ? zsh(program) : fish(program));
      }),
    );
}
