/**
 * What to do next, added where the CLI prints an error the server answered (`main.ts`), for the codes
 * whose remedy is a CLI command. The server's message stays as it is (its bytes are the API's); the hint
 * names the command, with the value the user gave when the command line has it.
 */

/** The value of a long option in `argv` (`--name v` or `--name=v`; the last one wins, as in commander). */
export function optionValue(argv: readonly string[], option: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg === option && i + 1 < argv.length) value = argv[++i];
    else if (arg.startsWith(`${option}=`)) value = arg.slice(option.length + 1);
  }
  return value;
}

/** `; <what to do>` for a remote error code, or nothing. */
export function remoteHint(remoteCode: string, argv: readonly string[]): string {
  if (remoteCode === 'ResourceNotFound.Namespace') {
    const ns = optionValue(argv, '--namespace');
    return ns === undefined
      ? '; list them with `scf-local namespaces`'
      : `; create it with \`scf-local namespaces create ${ns}\``;
  }
  return '';
}
