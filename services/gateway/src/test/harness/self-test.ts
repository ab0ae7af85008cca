import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import {
  IntegrityClient,
  type SelfTestResult,
  type StatusResponse,
} from '@mailshield/proto/integrity';
import { SmtpTestClient, type SendResult } from './smtp-client.js';
import type { Pipeline } from './pipeline.js';
import { repoRoot } from './processes.js';

/** Sender and recipient of the canaries, as the interceptor's canary builder sets them. */
export const CANARY_ADDRESS = 'self-test@mailshield.invalid';

/** Calls Integrity.SelfTest on the pipeline's control plane. */
export async function runSelfTest(
  pipeline: Pipeline,
  deadlineSeconds: number,
): Promise<SelfTestResult> {
  const client = new IntegrityClient(
    `127.0.0.1:${pipeline.controlPlanePort}`,
    credentials.createInsecure(),
  );
  try {
    return await new Promise((resolve, reject) =>
      client.selfTest({ deadlineSeconds }, (err: ServiceError | null, result: SelfTestResult) =>
        err ? reject(err) : resolve(result),
      ),
    );
  } finally {
    client.close();
  }
}

/** Calls Integrity.Status on the pipeline's control plane. */
export async function integrityStatus(pipeline: Pipeline): Promise<StatusResponse> {
  const client = new IntegrityClient(
    `127.0.0.1:${pipeline.controlPlanePort}`,
    credentials.createInsecure(),
  );
  try {
    return await new Promise((resolve, reject) =>
      client.status({}, (err: ServiceError | null, status: StatusResponse) =>
        err ? reject(err) : resolve(status),
      ),
    );
  } finally {
    client.close();
  }
}

/** Runs `mailshieldctl` against the pipeline's control plane; resolves its exit code and output. */
export function runCtl(
  pipeline: Pipeline,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = join(repoRoot, 'services/control-plane/dist/cli/main.js');
  const address = `127.0.0.1:${pipeline.controlPlanePort}`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args, '--address', address],
      { timeout: 120_000 },
      (err, stdout, stderr) => {
        let code = 0;
        if (err !== null) code = typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Sends over SMTP a message that claims in every visible way to be a canary: the canary's
 * sender, subject and an X-Mailshield-Canary header.
 */
export async function sendFakeCanary(
  pipeline: Pipeline,
  to: string,
  testId: string,
): Promise<SendResult> {
  const raw = Buffer.from(
    [
      `From: <${CANARY_ADDRESS}>`,
      `To: <${to}>`,
      'Subject: mailshield self-test eicar',
      'X-Mailshield-Canary: true',
      `X-Test-Id: ${testId}`,
      `Message-ID: <${testId}@mailshield.invalid>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'canary: true',
      '',
    ].join('\r\n'),
    'latin1',
  );
  const client = await SmtpTestClient.connect(pipeline.smtpPort);
  try {
    return await client.send(CANARY_ADDRESS, [to], raw);
  } finally {
    await client.quit();
  }
}
