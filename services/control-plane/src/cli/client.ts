import { Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { clientChannelOptions, deadlineIn, insecureCredentials } from '@mailshield/common';
import { AuditClient } from '@mailshield/proto/audit';
import { BackupClient } from '@mailshield/proto/backup';
import { ConfigClient } from '@mailshield/proto/config';
import { IntegrityClient } from '@mailshield/proto/integrity';

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (err: ServiceError | null, response: Res) => void,
) => unknown;

/** Error of a failed call, with `toControlPlane` set when it went to a control-plane client. */
export type CallError = ServiceError & { toControlPlane?: boolean };

/** The control plane's clients, with promise-returning calls that carry a deadline. */
export class ControlPlaneClients {
  readonly config: ConfigClient;
  readonly backup: BackupClient;
  readonly integrity: IntegrityClient;
  readonly audit: AuditClient;

  constructor(
    address: string,
    private readonly timeoutSeconds: number,
  ) {
    this.config = new ConfigClient(address, insecureCredentials, clientChannelOptions);
    this.backup = new BackupClient(address, insecureCredentials, clientChannelOptions);
    this.integrity = new IntegrityClient(address, insecureCredentials, clientChannelOptions);
    this.audit = new AuditClient(address, insecureCredentials, clientChannelOptions);
  }

  /** Calls a unary method of `client` and rejects with a CallError when the call fails. */
  call<Req, Res>(client: Client, method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
    const toControlPlane = [this.config, this.backup, this.integrity, this.audit].some(
      (own) => own === client,
    );
    return new Promise((resolve, reject) => {
      method.call(
        client,
        request,
        new Metadata(),
        { deadline: deadlineIn(this.timeoutSeconds) },
        (err, response) =>
          err === null ? resolve(response) : reject(Object.assign(err, { toControlPlane })),
      );
    });
  }

  close(): void {
    this.config.close();
    this.backup.close();
    this.integrity.close();
    this.audit.close();
  }
}
