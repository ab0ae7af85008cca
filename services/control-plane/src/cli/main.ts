#!/usr/bin/env node
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { parseHostPort } from '@mailshield/common';
import { readCliDefaults } from '../config.js';
import { commandHelp, overviewHelp, parseCommandLine, UsageError } from './args.js';
import { ControlPlaneClients, type CallError } from './client.js';
import { commands } from './commands.js';
import { PolicyFileError } from './policy-file.js';

/** Address and deadline of the calls, for the message of a call that reached no server. */
let target: { address: string; timeoutSeconds: number } | undefined;

/** Exit codes: 0 success, 1 the call or its input failed, 2 the command line is wrong. */
async function main(args: string[]): Promise<number> {
  const parsed = parseCommandLine(args, commands);
  if (parsed.spec === undefined) {
    if (parsed.values['help'] === true) {
      process.stdout.write(`${overviewHelp(commands, parsed.words)}\n`);
      return 0;
    }
    const group =
      parsed.words.length === 0 ? 'a command' : `a command after "${parsed.words.join(' ')}"`;
    process.stderr.write(`error: missing ${group}\n\n${overviewHelp(commands, parsed.words)}\n`);
    return 2;
  }
  if (parsed.values['help'] === true) {
    process.stdout.write(`${commandHelp(parsed.spec)}\n`);
    return 0;
  }
  const commandPath = parsed.spec.path.join(' ');
  const output = parsed.values['output'] ?? 'table';
  const command = commands.find((candidate) => candidate === parsed.spec)!;
  const formats = command.yamlOutput === true ? 'table, json or yaml' : 'table or json';
  const isYaml = output === 'yaml' && command.yamlOutput === true;
  if (output !== 'table' && output !== 'json' && !isYaml)
    throw new UsageError(`-o must be ${formats}, not "${String(output)}"`, commandPath);
  const address =
    typeof parsed.values['address'] === 'string'
      ? parsed.values['address']
      : readCliDefaults().address;
  if (parseHostPort(address) === undefined)
    throw new UsageError(`--address must be host:port, not "${address}"`, commandPath);
  const timeout = Number(parsed.values['timeout'] ?? 10);
  if (!(timeout > 0))
    throw new UsageError(`--timeout must be a positive number of seconds`, commandPath);

  target = { address, timeoutSeconds: timeout };
  const clients = new ControlPlaneClients(address, timeout);
  try {
    await command.run({
      clients,
      values: parsed.values,
      positionals: parsed.positionals,
      isJson: output === 'json',
      output,
      print: (text) => process.stdout.write(`${text}\n`),
      write: (data) => process.stdout.write(data),
    });
    return 0;
  } finally {
    clients.close();
  }
}

function report(err: unknown): number {
  if (err instanceof UsageError) {
    const help =
      err.commandPath === '' ? 'mailshieldctl --help' : `mailshieldctl ${err.commandPath} --help`;
    process.stderr.write(`error: ${err.message}\nRun '${help}' for usage.\n`);
    return 2;
  }
  if (err instanceof PolicyFileError) {
    process.stderr.write(
      `error: ${err.message}\n${err.problems.map((problem) => `  ${problem}\n`).join('')}`,
    );
    return 1;
  }
  if (isServiceError(err)) {
    const unreachable = connectionProblem(err);
    if (unreachable !== undefined) {
      process.stderr.write(`error: ${unreachable}\n`);
      return 1;
    }
    const fieldErrors = (err.metadata?.get('mailshield-field-error-bin') ?? []).map((value) =>
      value.toString(),
    );
    // The details repeat the field errors after a colon, so they are cut here and the field
    // errors are printed one per line below.
    const repeated = `: ${fieldErrors.join('; ')}`;
    const details =
      fieldErrors.length > 0 && err.details.endsWith(repeated)
        ? err.details.slice(0, -repeated.length)
        : err.details;
    process.stderr.write(`error: ${details} (${GrpcStatus[err.code] ?? err.code})\n`);
    for (const fieldError of fieldErrors) process.stderr.write(`  ${String(fieldError)}\n`);
    return 1;
  }
  process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
  return 1;
}

/**
 * Returns the message for a call that reached no control plane: UNAVAILABLE or
 * DEADLINE_EXCEEDED without the error code that the control plane itself attaches.
 */
function connectionProblem(err: CallError): string | undefined {
  if (target === undefined || err.toControlPlane !== true) return undefined;
  if ((err.metadata?.get('mailshield-error-code').length ?? 0) > 0) return undefined;
  const { address, timeoutSeconds } = target;
  if (err.code === GrpcStatus.DEADLINE_EXCEEDED) {
    return (
      `no answer from the control plane at ${address} within ${timeoutSeconds} s; ` +
      'raise --timeout, or check that the address is right'
    );
  }
  if (err.code !== GrpcStatus.UNAVAILABLE) return undefined;
  // grpc-js puts the socket error after "Last error:", such as "connect ECONNREFUSED 127.0.0.1:1".
  const lastError = /Last error: (?:\w*Error: )?(.*?)\.(?:\s|$)/.exec(err.details)?.[1];
  const reason = lastError === undefined || lastError === '' ? err.details : lastError;
  return (
    `cannot reach the control plane at ${address} (${reason}); start it (make run) ` +
    'or point --address / MAILSHIELD_CONTROL_PLANE_ADDRESS at it'
  );
}

function isServiceError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === 'number' &&
    'details' in err
  );
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => (process.exitCode = report(err)),
);
